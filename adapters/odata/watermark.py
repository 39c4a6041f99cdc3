"""Change detection by a last-modified timestamp, for tables without a change feed.

The token holds the highest timestamp read so far, as the server wrote it, and the ids (with
their ETags) of the records read at exactly that instant. The next read asks for records
modified at or after it (`ge`, not `gt`: a record saved in the same clock tick after the last
read must not be lost) and skips those already seen in the same version. So nothing is lost and
a record is only read again when it changed. Deletions are invisible to this mechanism.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

import orjson

from adapters.base import Record
from adapters.errors import ValidationError
from adapters.odata.query import parse_datetime

PREFIX = "watermark:"


@dataclass(frozen=True, slots=True)
class Watermark:
    at: str | None = None
    seen: dict[str, str | None] = field(default_factory=dict)

    @property
    def instant(self) -> datetime | None:
        return parse_datetime(self.at)

    def encode(self) -> str:
        return PREFIX + orjson.dumps({"at": self.at, "seen": self.seen}).decode()

    @classmethod
    def decode(cls, token: str, *, system: str) -> Watermark:
        if not token.startswith(PREFIX):
            raise ValidationError(f"{token[:40]!r} is not a watermark token", system=system)
        try:
            data = orjson.loads(token[len(PREFIX) :])
            at = data["at"]
            seen = data.get("seen") or {}
        except (orjson.JSONDecodeError, KeyError, TypeError):
            raise ValidationError("the watermark token is damaged", system=system) from None
        if (at is not None and parse_datetime(at) is None) or not isinstance(seen, dict):
            raise ValidationError("the watermark token is damaged", system=system)
        return cls(
            at=at, seen={str(k): (str(v) if v is not None else None) for k, v in seen.items()}
        )

    def is_new(self, record: Record) -> bool:
        """False for a record this watermark has already delivered in this version."""
        if record.id not in self.seen:
            return True
        instant = self.instant
        if record.modified_on is None or instant is None or record.modified_on != instant:
            return True
        return self.seen[record.id] != record.etag

    def advance(self, records: Iterable[Record], stamps: dict[str, str]) -> Watermark:
        """The watermark after `records`; `stamps` holds each record's timestamp text."""
        at, instant, seen = self.at, self.instant, dict(self.seen)
        for record in records:
            text = stamps.get(record.id)
            when = parse_datetime(text)
            if text is None or when is None:
                continue
            if instant is None or when > instant:
                at, instant, seen = text, when, {}
            if when == instant:
                seen[record.id] = record.etag
        return Watermark(at=at, seen=seen)
