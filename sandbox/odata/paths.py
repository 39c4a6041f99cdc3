"""Resource paths: `accounts(<guid>)/quote_details`, `companies(<id>)/customers`,
`ReviseQuote(QuoteId=<guid>,ColumnSet=@p1)`, `salesQuotes(<id>)/Microsoft.NAV.makeOrder`."""

from __future__ import annotations

from dataclasses import dataclass

from sandbox.errors import ErrorKind, SandboxError
from sandbox.odata.options import split_top_level


@dataclass(frozen=True)
class Segment:
    name: str
    key: str | None = None  # the raw text between the parentheses, if any

    def key_values(self) -> dict[str, str]:
        """`QuoteId=<guid>,ColumnSet=@p1` -> {"QuoteId": "<guid>", "ColumnSet": "@p1"}."""
        if self.key is None:
            return {}
        values: dict[str, str] = {}
        for part in split_top_level(self.key):
            name, sep, value = part.partition("=")
            if not sep:
                raise SandboxError(
                    ErrorKind.BAD_QUERY, f"Bad parameter '{part}' in segment '{self.name}'."
                )
            values[name.strip()] = _unquote(value.strip())
        return values


def parse_path(path: str) -> list[Segment]:
    segments: list[Segment] = []
    for raw in _split(path.strip("/")):
        if "(" in raw and raw.endswith(")"):
            name, _, rest = raw.partition("(")
            segments.append(Segment(name, rest[:-1]))
        elif "(" in raw or ")" in raw:
            raise SandboxError(ErrorKind.UNKNOWN_RESOURCE, f"Bad request URL segment '{raw}'.")
        else:
            segments.append(Segment(raw))
    return segments


def _split(path: str) -> list[str]:
    parts: list[str] = []
    depth, quoted, start = 0, False, 0
    for index, char in enumerate(path):
        if char == "'":
            quoted = not quoted
        elif quoted:
            continue
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "/" and depth == 0:
            parts.append(path[start:index])
            start = index + 1
    parts.append(path[start:])
    return [part for part in parts if part]


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == "'":
        return value[1:-1].replace("''", "'")
    return value
