"""One system's record of a document, read through that system's declaration.

`DocumentView` answers the facts a person looks at (number, dates, totals, links) in one
spelling whatever the system: text with blanks as None (Business Central answers "" where
Dataverse answers null), amounts as floats, dates as `date`. `LineView` does the same for a
line, `ArchiveView` for an archived version.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from adapters.base import Record
from adapters.documents import ArchiveFields, DocumentFields, LineFields, Ref, Shown

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def text(values: Mapping[str, Any], name: str | None) -> str | None:
    if name is None:
        return None
    value = values.get(name)
    if value is None or isinstance(value, list | dict):
        return None
    shown = str(value).strip()
    return shown or None


def amount(values: Mapping[str, Any], name: str | None) -> float | None:
    value = values.get(name) if name is not None else None
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def moment(value: Any) -> datetime | None:
    """A timestamp or a date as an aware datetime (a date is its midnight, UTC)."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if not isinstance(value, str) or not value.strip():
        return None
    raw = value.strip().replace("Z", "+00:00")
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def day(values: Mapping[str, Any], name: str | None) -> date | None:
    found = moment(values.get(name)) if name is not None else None
    # Business Central's "no date" is 0001-01-01.
    return None if found is None or found.year <= 1 else found.date()


def reference(values: Mapping[str, Any], shown: Shown) -> tuple[str | None, Ref | None]:
    """A fact held directly (its text) or through a reference (the id, to be read)."""
    if isinstance(shown, Ref):
        return text(values, shown.field), shown
    return text(values, shown), None


@dataclass(frozen=True, slots=True)
class DocumentView:
    record: Record
    fields: DocumentFields

    @property
    def id(self) -> str:
        return self.record.id

    @property
    def values(self) -> Mapping[str, Any]:
        return self.record.values

    def text(self, name: str | None) -> str | None:
        return text(self.values, name)

    def amount(self, name: str | None) -> float | None:
        return amount(self.values, name)

    def day(self, name: str | None) -> date | None:
        return day(self.values, name)

    @property
    def number(self) -> str | None:
        return self.text(self.fields.number)

    @property
    def name(self) -> str | None:
        return self.text(self.fields.name)

    @property
    def party(self) -> str | None:
        return self.text(self.fields.party)

    @property
    def when(self) -> datetime | None:
        """The document's own date (creation, document or order date)."""
        return moment(self.values.get(self.fields.date)) if self.fields.date else None

    def linked(self, link_field: str | None) -> list[str]:
        """The ids or numbers a link field holds (one, several or none)."""
        if link_field is None:
            return []
        value = self.values.get(link_field)
        items = value if isinstance(value, list | tuple) else [value]
        return [str(item).strip() for item in items if item not in (None, "")]

    def embedded_lines(self) -> Sequence[Mapping[str, Any]] | None:
        lines = self.fields.lines
        if lines is None or lines.embedded is None:
            return None
        found = self.values.get(lines.embedded)
        return found if isinstance(found, list) else []

    def searchable(self) -> tuple[str | None, ...]:
        return tuple(self.text(name) for name in self.fields.search)


@dataclass(frozen=True, slots=True)
class LineView:
    values: Mapping[str, Any]
    fields: LineFields

    @property
    def sequence(self) -> float:
        return amount(self.values, self.fields.sequence) or 0.0

    @property
    def is_text(self) -> bool:
        kind = text(self.values, self.fields.line_type)
        return kind is not None and kind in self.fields.text_types

    @property
    def write_in(self) -> bool:
        if self.fields.write_in is not None:
            return bool(self.values.get(self.fields.write_in)) or not text(
                self.values, self.fields.product
            )
        return not self.is_text and not text(self.values, self.fields.product)


@dataclass(frozen=True, slots=True)
class ArchiveView:
    values: Mapping[str, Any]
    fields: ArchiveFields

    @property
    def version(self) -> int:
        return int(amount(self.values, self.fields.version) or 0)

    @property
    def archived_at(self) -> datetime | None:
        return moment(self.values.get(self.fields.archived_at))
