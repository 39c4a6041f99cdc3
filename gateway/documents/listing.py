"""Every document of a kind, page by page, merged across the systems.

A listing reads the documents' origin first (see `gateway.documents.kinds`), each with its
coupled counterpart, then the other system's documents that are coupled to none: every
document appears once. Rows are read through `gateway.couplings.listing.Listing` (keyed
paging where the system pages by key, its own cursors otherwise); a filter is sent to the
system where it can apply it and checked on the merged documents, reading on for a few rounds
when it keeps few. A position is `{"p": 1 or 2, "k": <the listing's position, or None>}`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from adapters.documents import DocumentKind
from gateway.couplings.listing import (
    Listing,
    ListingPage,
    PositionError,
    parse_cursor_position,
    source_for,
)
from gateway.documents.filters import DocumentFilter
from gateway.documents.graph import SYSTEM_ERRORS, DocumentGraph, Failure, Failures
from gateway.documents.kinds import KINDS, other
from gateway.documents.merged import Merged
from gateway.security.inputs import InputRejectedError, record_id
from gateway.types import SideName

MAX_ROUNDS = 5
READ_AHEAD = 50  # rows read per round when a filter is checked here


class ListingPositionError(ValueError):
    """A position this listing did not make."""


class _SystemFailedError(Exception):
    """The system being listed did not answer (its failure is recorded)."""


@dataclass(frozen=True, slots=True)
class Listed:
    document: Merged
    position: dict[str, Any]


@dataclass(frozen=True, slots=True)
class DocumentPage:
    rows: list[Listed]
    has_next: bool
    end: dict[str, Any] | None


@dataclass(frozen=True, slots=True)
class DocumentListing:
    graph: DocumentGraph
    kind: DocumentKind

    def _phase_side(self, phase: int) -> SideName:
        origin = KINDS[self.kind].origin
        return origin if phase == 1 else other(origin)

    def _listing(self, side: SideName) -> Listing | None:
        fields = self.graph.reader.fields(side, self.kind)
        if fields is None:
            return None
        connector = self.graph.reader.connector(side)
        mapping = KINDS[self.kind].mapping or ""
        return Listing(
            source_for(connector, fields.entity), self.graph.services.couplings, mapping, side
        )

    def check(self, position: Any) -> tuple[int, str | None]:
        """(phase, listing position) of a position this listing made."""
        if not isinstance(position, dict):
            raise ListingPositionError("not a position of this listing")
        phase, key = position.get("p"), position.get("k")
        if phase not in (1, 2) or not (key is None or isinstance(key, str)):
            raise ListingPositionError("not a position of this listing")
        if key is None:
            return phase, None
        side = self._phase_side(phase)
        listing = self._listing(side)
        if listing is None:
            raise ListingPositionError("not a position of this listing")
        try:
            if listing.source.keyed:
                record_id(listing.source.connector.capabilities.id_kind, key, "after")
            else:
                parse_cursor_position(key)
        except (InputRejectedError, PositionError):
            raise ListingPositionError("not a position of this listing") from None
        return phase, key

    async def page(
        self,
        *,
        size: int,
        after: dict[str, Any] | None,
        keep: DocumentFilter,
        failures: Failures,
    ) -> DocumentPage:
        phase, position = self.check(after) if after is not None else (1, None)
        rows: list[Listed] = []
        if size <= 0:
            return DocumentPage(rows, has_next=False, end=after)
        for _ in range(MAX_ROUNDS):
            side = self._phase_side(phase)
            wanted = size - len(rows) if keep.empty else max(size - len(rows), READ_AHEAD)
            try:
                read = await self._read(side, phase, position, wanted, keep=keep, failures=failures)
            except _SystemFailedError:
                return DocumentPage(rows, has_next=False, end=_at(phase, position))
            if read is None:  # the system holds no documents of this kind
                if phase == 2:
                    return DocumentPage(rows, has_next=False, end=_at(phase, None))
                phase, position = 2, None
                continue
            documents, result = read
            for row in result.rows:
                document = documents.get(row.record.id.lower())
                position = row.position
                if document is None or not keep.matches(document):
                    continue
                rows.append(Listed(document, _at(phase, row.position)))
                if len(rows) == size:
                    more = result.has_next or row is not result.rows[-1] or phase == 1
                    return DocumentPage(rows, has_next=more, end=_at(phase, row.position))
            position = result.end
            if not result.has_next:
                if phase == 2:
                    return DocumentPage(rows, has_next=False, end=_at(phase, position))
                phase, position = 2, None
        return DocumentPage(rows, has_next=True, end=_at(phase, position))

    async def _read(
        self,
        side: SideName,
        phase: int,
        position: str | None,
        wanted: int,
        *,
        keep: DocumentFilter,
        failures: Failures,
    ) -> tuple[dict[str, Merged], ListingPage] | None:
        """One round: rows of `side` (phase 2: the uncoupled ones) and their documents."""
        fields = self.graph.reader.fields(side, self.kind)
        try:
            listing = self._listing(side)
            if listing is None or fields is None:
                return None
            result = await listing.page(
                size=wanted,
                after=position,
                coupled=None if phase == 1 else False,
                search=keep.pushdown(fields),
            )
        except SYSTEM_ERRORS as exc:
            failures.found.append(Failure(side, KINDS[self.kind].plural, exc))
            raise _SystemFailedError from None
        records = [row.record for row in result.rows]
        merged = await self.graph.complete(self.kind, side, records, failures)
        by_id: dict[str, Merged] = {}
        for document in merged:
            own = document.side_id(side)
            if own is not None:
                by_id[own.lower()] = document
        return by_id, result


def _at(phase: int, position: str | None) -> dict[str, Any]:
    return {"p": phase, "k": position}
