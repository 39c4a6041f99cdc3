"""What a listing of documents keeps: states, payment status, text, a range of dates.

A filter applies to merged documents (`matches`), and the part one system can apply itself is
sent to it (`pushdown`): the text, where the system can `or` its text fields, and the date
range, on the document's own date. Both look at the same record: the one the document is
listed by (its origin's, else the other system's), so what is sent never keeps out a document
that `matches` would keep.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from adapters.documents import DocumentFields
from adapters.filters import Compare, Contains, Filter, all_of, any_of
from gateway.documents.lifecycle import LifecycleState, PaymentStatus
from gateway.documents.merged import Merged
from gateway.documents.views import DocumentView


@dataclass(frozen=True, slots=True)
class DocumentFilter:
    states: frozenset[LifecycleState] | None = None
    payment: PaymentStatus | None = None
    text: str | None = None
    date_from: date | None = None
    date_to: date | None = None  # inclusive

    @property
    def empty(self) -> bool:
        return (
            self.states is None
            and self.payment is None
            and self.text is None
            and self.date_from is None
            and self.date_to is None
        )

    def matches(self, document: Merged) -> bool:
        if self.states is not None and document.state not in self.states:
            return False
        if self.payment is not None and document.payment is not self.payment:
            return False
        listed = document.views()
        return self._text_matches(listed[0] if listed else None) and self._date_matches(
            listed[0].when if listed else None
        )

    def _text_matches(self, listed: DocumentView | None) -> bool:
        if self.text is None:
            return True
        wanted = self.text.casefold()
        searchable = listed.searchable() if listed is not None else ()
        return any(value and wanted in value.casefold() for value in searchable)

    def _date_matches(self, when: datetime | None) -> bool:
        if self.date_from is None and self.date_to is None:
            return True
        if when is None:
            return False
        after_start = self.date_from is None or when.date() >= self.date_from
        return after_start and (self.date_to is None or when.date() <= self.date_to)

    def pushdown(self, fields: DocumentFields) -> Filter | None:
        """The part of the filter the system holding `fields` applies itself."""
        parts: list[Filter | None] = []
        if self.text is not None and fields.search and fields.search_any:
            parts.append(any_of(*(Contains(name, self.text) for name in fields.search)))
        if fields.date is not None:
            if self.date_from is not None:
                parts.append(Compare(fields.date, "ge", _bound(self.date_from, fields)))
            if self.date_to is not None:
                after = self.date_to + timedelta(days=1)
                parts.append(Compare(fields.date, "lt", _bound(after, fields)))
        return all_of(*parts)


def _bound(day: date, fields: DocumentFields) -> date | datetime:
    return datetime.combine(day, time.min, tzinfo=UTC) if fields.date_is_datetime else day
