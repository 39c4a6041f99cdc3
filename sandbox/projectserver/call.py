"""One request to the Project Server API as its handlers see it, and the small helpers they
share for keys, flags, method calls and plain answers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sandbox.errors import ErrorKind, SandboxError
from sandbox.http import ApiRequest, ApiResponse
from sandbox.odata.paths import Segment
from sandbox.projectserver.render import Shape
from sandbox.projectserver.state import User

Doc = dict[str, Any]
WRITES = frozenset({"POST", "PATCH", "MERGE", "PUT", "DELETE"})
UPDATES = frozenset({"PATCH", "MERGE", "PUT"})


@dataclass(frozen=True)
class Call:
    request: ApiRequest
    method: str  # after SharePoint's `X-HTTP-Method` override
    shape: Shape
    user: User

    def unknown(self) -> SandboxError:
        return SandboxError(
            ErrorKind.UNKNOWN_RESOURCE, f"Cannot find resource for the request {self.request.path}."
        )

    def not_allowed(self) -> SandboxError:
        return SandboxError(
            ErrorKind.METHOD_NOT_ALLOWED,
            f"The HTTP method '{self.method}' cannot be used on '{self.request.path}'.",
        )

    def page(self, items: list[Doc]) -> list[Doc]:
        """`$skip` and `$top` over a collection the server returns whole."""
        options = dict(self.request.query)
        items = items[_count(options.get("$skip"), "$skip") or 0 :]
        top = _count(options.get("$top"), "$top")
        return items if top is None else items[:top]

    def arguments(self, segment: Segment) -> Doc:
        """Parameters of a method call, from the URL (`SetCustomFieldValue(FieldName='…',…)`)
        or from the body."""
        if segment.key and "=" in segment.key:
            return dict(segment.key_values())
        return self.request.json()


def key(segment: Segment) -> str:
    """The id in `Projects('…')` (or `guid'…'`), lower-cased like stored ids."""
    raw = (segment.key or "").strip()
    if raw.lower().startswith("guid'"):
        raw = raw[4:]
    return raw.strip("'").lower()


def flag(segment: Segment, name: str) -> bool:
    """A boolean argument: `publish(true)` or `checkIn(force=true)`."""
    raw = (segment.key or "").strip()
    if "=" in raw:
        raw = segment.key_values().get(name, "false")
    if raw.lower() not in ("true", "false", ""):
        raise SandboxError(ErrorKind.BAD_QUERY, f"'{raw}' is not a valid value for '{name}'.")
    return raw.lower() == "true"


def done(status: int = 200) -> ApiResponse:
    return ApiResponse(status, None, {"DataServiceVersion": "3.0"})


def _count(text: str | None, name: str) -> int | None:
    if text is None:
        return None
    if not text.isdigit():
        raise SandboxError(ErrorKind.BAD_QUERY, f"{name} must be a non-negative integer.")
    return int(text)
