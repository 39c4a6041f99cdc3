"""Documents merged across the systems through their couplings, read many at a time.

Every method reads each system at most once or twice (one request per hop, split only by the
URL limit), plus MongoDB for the couplings, whatever the number of keys: the GraphQL layer
calls them from per-request DataLoaders. A system that fails does not fail the call: its
records are missing from the answer (their ids stay on the couplings) and the failure is
returned beside it, once per system and hop, for the caller to report.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from adapters.base import Record
from adapters.documents import DocumentKind, Link
from adapters.errors import ConnectorError
from gateway.couplings.views import CUSTOMER_MAPPING, UnknownErpError
from gateway.documents.kinds import KINDS, other
from gateway.documents.merged import Catalogues, Merged, newest_first, pair
from gateway.documents.reading import DocumentReader
from gateway.services import NotConfiguredError, Services
from gateway.store.couplings import Coupling
from gateway.types import SideName

T = TypeVar("T")
SIDES: tuple[SideName, SideName] = ("crm", "erp")
# What a read of a system can fail with: the system failed or is not configured.
SYSTEM_ERRORS = (ConnectorError, NotConfiguredError, UnknownErpError)


@dataclass(frozen=True, slots=True)
class Failure:
    side: SideName
    what: str  # e.g. "quotes", "quote lines"
    error: Exception


@dataclass(slots=True)
class Failures:
    found: list[Failure] = field(default_factory=list)

    async def attempt(self, side: SideName, what: str, read: Awaitable[T], default: T) -> T:
        try:
            return await read
        except SYSTEM_ERRORS as exc:
            self.found.append(Failure(side, what, exc))
            return default


@dataclass(frozen=True, slots=True)
class DocumentGraph:
    services: Services
    catalogues: Catalogues

    @property
    def reader(self) -> DocumentReader:
        return DocumentReader(self.services)

    def _what(self, kind: DocumentKind) -> str:
        return KINDS[kind].plural

    # ---- by id --------------------------------------------------------------------------------

    async def by_side_ids(
        self, kind: DocumentKind, side: SideName, ids: Sequence[str], failures: Failures
    ) -> dict[str, Merged]:
        """Documents by their record id in `side`; an id with neither a record nor a coupling
        is left out."""
        records = await failures.attempt(
            side, self._what(kind), self.reader.by_ids(side, kind, ids), {}
        )
        merged = await self.complete(kind, side, list(records.values()), failures, ids=ids)
        found: dict[str, Merged] = {}
        wanted = {key.lower(): key for key in ids}
        for document in merged:
            own = document.side_id(side)
            if own is not None and own.lower() in wanted:
                found[wanted[own.lower()]] = document
        return found

    async def complete(
        self,
        kind: DocumentKind,
        side: SideName,
        records: Sequence[Record],
        failures: Failures,
        *,
        ids: Sequence[str] = (),
    ) -> list[Merged]:
        """`side`'s records with their coupled counterparts: the couplings of the records (and
        of `ids`, records that could not be read), then the counterparts in one read."""
        mapping = KINDS[kind].mapping
        if mapping is None:
            return _pair_sides(kind, self.catalogues, {side: list(records)}, {})
        keys = list(dict.fromkeys([*(record.id for record in records), *ids]))
        found = await self.services.couplings.by_ids(mapping, side, keys)
        partner_side = other(side)
        partner_ids = [coupling.side(partner_side).id for coupling in found.values()]
        partners = await failures.attempt(
            partner_side,
            self._what(kind),
            self.reader.by_ids(partner_side, kind, partner_ids),
            {},
        )
        mine = list(records)
        have = {record.id.lower() for record in mine}
        merged = _pair_sides(
            kind,
            self.catalogues,
            {side: mine, partner_side: list(partners.values())},
            _indexed(found.values()),
        )
        # Coupled documents whose record on `side` could not be read: the other side alone.
        for key in keys:
            coupling = found.get(key)
            if key.lower() in have or coupling is None:
                continue
            if partners.get(coupling.side(partner_side).id) is None:
                merged.append(Merged(kind, None, None, coupling, self.catalogues.dialect))
        return merged

    # ---- an account's or a customer's documents ----------------------------------------------

    async def of_parties(
        self,
        kind: DocumentKind,
        side: SideName,
        party_ids: Sequence[str],
        failures: Failures,
        *,
        counterparts: Mapping[str, Coupling | None] | None = None,
    ) -> dict[str, list[Merged]]:
        """The documents of CRM accounts (`side` "crm") or ERP customers ("erp"), newest first:
        each system's documents of the party and of its coupled counterpart, merged.
        `counterparts`: the parties' CUSTOMER couplings, when the caller has read them."""
        parties = list(dict.fromkeys(party_ids))
        if counterparts is None:
            counterparts = await self.services.couplings.by_ids(CUSTOMER_MAPPING, side, parties)
        counterpart = {key: found for key, found in counterparts.items() if found is not None}
        partner_side = other(side)
        partner_of = {
            party: coupling.side(partner_side).id for party, coupling in counterpart.items()
        }
        owner_of = {value.lower(): key for key, value in partner_of.items()}
        reads = {
            side: self._of_side(kind, side, parties, failures),
            partner_side: self._of_side(kind, partner_side, list(partner_of.values()), failures),
        }
        mine, theirs = await asyncio.gather(reads[side], reads[partner_side])
        records = {side: mine, partner_side: theirs}
        merged = await self._pair_read(kind, records, failures)
        by_party: dict[str, list[Merged]] = {party: [] for party in parties}
        wanted = {party.lower(): party for party in parties}
        for document in merged:
            party = _party_of(document, side, wanted, owner_of)
            if party is not None:
                by_party[party].append(document)
        return {party: newest_first(documents) for party, documents in by_party.items()}

    async def _of_side(
        self, kind: DocumentKind, side: SideName, parties: list[str], failures: Failures
    ) -> list[Record]:
        fields = self.reader.fields(side, kind)
        if fields is None or fields.party is None or not parties:
            return []
        found = await failures.attempt(
            side,
            self._what(kind),
            self.reader.by_field(side, kind, fields.party, parties),
            {},
        )
        return _flatten(found)

    async def _pair_read(
        self, kind: DocumentKind, records: Mapping[SideName, list[Record]], failures: Failures
    ) -> list[Merged]:
        """Records read on both sides, paired through the couplings; counterparts that were
        not among them (a document of another party, or a system that failed) read by id."""
        mapping = KINDS[kind].mapping
        read = {side: list({r.id: r for r in records.get(side, [])}.values()) for side in SIDES}
        if mapping is None:
            return _pair_sides(kind, self.catalogues, read, {})
        found = await asyncio.gather(
            *(
                self.services.couplings.by_ids(mapping, side, [r.id for r in read[side]])
                for side in SIDES
            )
        )
        couplings = _indexed([coupling for by_id in found for coupling in by_id.values()])
        have = {(side, record.id.lower()) for side in SIDES for record in read[side]}
        missing: dict[SideName, list[str]] = {side: [] for side in SIDES}
        for coupling in couplings.values():
            for side in SIDES:
                if (side, coupling.side(side).id.lower()) not in have:
                    missing[side].append(coupling.side(side).id)
        for side in SIDES:
            if missing[side]:
                extra = await failures.attempt(
                    side, self._what(kind), self.reader.by_ids(side, kind, missing[side]), {}
                )
                read[side] += extra.values()
        merged = _pair_sides(kind, self.catalogues, read, couplings)
        seen = {(side, record.id.lower()) for side in SIDES for record in read[side]}
        # A coupled document neither of whose records could be read is still one document.
        for coupling in {id(c): c for c in couplings.values()}.values():
            if not any((side, coupling.side(side).id.lower()) in seen for side in SIDES):
                merged.append(Merged(kind, None, None, coupling, self.catalogues.dialect))
        return merged

    # ---- links between documents -------------------------------------------------------------

    async def by_values(
        self,
        kind: DocumentKind,
        side: SideName,
        field_name: str,
        values: Sequence[str],
        failures: Failures,
    ) -> dict[str, list[Merged]]:
        """Documents whose record on `side` holds one of `values` in `field_name` (a quote by
        its number), by value."""
        found = await failures.attempt(
            side, self._what(kind), self.reader.by_field(side, kind, field_name, values), {}
        )
        merged = await self._pair_read(kind, {side: _flatten(found)}, failures)
        by_record = {document.side_id(side): document for document in merged}
        return {
            value: [by_record[record.id] for record in records if record.id in by_record]
            for value, records in found.items()
        }

    async def linked_to(
        self,
        kind: DocumentKind,
        link_of: Callable[[SideName], Link | None],
        sources: Sequence[Merged],
        failures: Failures,
    ) -> dict[str, list[Merged]]:
        """Documents of `kind` whose link (`link_of(side)`, on each side) names one of
        `sources` by id, by number, or is the same record, by source key, newest first."""
        found = _Found()
        reads: list[tuple[SideName, str, dict[str, set[str]]]] = []
        for side in SIDES:
            link = link_of(side)
            if link is None:
                continue
            if link.by == "self":
                self._same_records(kind, side, sources, found)
            elif link.field is not None:
                values = _link_values(link, side, sources)
                if values:
                    reads.append((side, link.field, values))
        results = await asyncio.gather(
            *(
                failures.attempt(
                    side, self._what(kind), self.reader.by_field(side, kind, name, list(values)), {}
                )
                for side, name, values in reads
            )
        )
        for (side, _name, values), by_value in zip(reads, results, strict=True):
            for value, matched in by_value.items():
                for record in matched:
                    found.add(side, record, values[value])
        merged = await self._pair_read(kind, found.records, failures)
        by_source: dict[str, list[Merged]] = {source.key: [] for source in sources}
        for document in merged:
            for owner in found.owners(document):
                by_source[owner].append(document)
        return {key: newest_first(documents) for key, documents in by_source.items()}

    def _same_records(
        self, kind: DocumentKind, side: SideName, sources: Sequence[Merged], found: _Found
    ) -> None:
        """Sources whose record on `side` is already a document of `kind` (a confirmed sale)."""
        entities = self._entities(kind, side)
        for source in sources:
            view = source.side(side)
            if view is not None and view.record.entity in entities:
                found.add(side, view.record, {source.key})

    def _entities(self, kind: DocumentKind, side: SideName) -> tuple[str, ...]:
        fields = self.reader.fields(side, kind)
        return fields.entities if fields is not None else ()


@dataclass(slots=True)
class _Found:
    """Records found through links, and the keys of the sources that link to each."""

    records: dict[SideName, list[Record]] = field(
        default_factory=lambda: {side: [] for side in SIDES}
    )
    keys: dict[tuple[SideName, str], set[str]] = field(default_factory=dict)

    def add(self, side: SideName, record: Record, owners: set[str]) -> None:
        self.records[side].append(record)
        self.keys.setdefault((side, record.id.lower()), set()).update(owners)

    def owners(self, document: Merged) -> set[str]:
        owners: set[str] = set()
        for side in SIDES:
            own = document.side_id(side)
            if own is not None:
                owners |= self.keys.get((side, own.lower()), set())
        return owners


def _link_values(link: Link, side: SideName, sources: Sequence[Merged]) -> dict[str, set[str]]:
    """What a link field must hold to name each source (its id or number), with the keys of
    the sources named so."""
    values: dict[str, set[str]] = {}
    for source in sources:
        if link.by == "id":
            value = source.side_id(side)
        else:
            view = source.side(side)
            value = view.number if view is not None else None
        if value:
            values.setdefault(value, set()).add(source.key)
    return values


def _pair_sides(
    kind: DocumentKind,
    catalogues: Catalogues,
    records: Mapping[SideName, Sequence[Record]],
    couplings: Mapping[tuple[SideName, str], Coupling],
) -> list[Merged]:
    return pair(kind, catalogues, records.get("crm", ()), records.get("erp", ()), couplings)


def _indexed(couplings: Iterable[Coupling]) -> dict[tuple[SideName, str], Coupling]:
    indexed: dict[tuple[SideName, str], Coupling] = {}
    for coupling in couplings:
        indexed[("crm", coupling.crm.id)] = coupling
        indexed[("erp", coupling.erp.id)] = coupling
    return indexed


def _flatten(found: Mapping[str, list[Record]]) -> list[Record]:
    unique: dict[str, Record] = {}
    for records in found.values():
        for record in records:
            unique.setdefault(record.id, record)
    return list(unique.values())


def _party_of(
    document: Merged, side: SideName, wanted: Mapping[str, str], owner_of: Mapping[str, str]
) -> str | None:
    """The requested party a document belongs to: its record on the requested side names the
    party, or, without that record, its other record names the party's counterpart."""
    own = document.side(side)
    if own is not None:
        return wanted.get((own.party or "").lower())
    theirs = document.side(other(side))
    if theirs is not None:
        return owner_of.get((theirs.party or "").lower())
    return None
