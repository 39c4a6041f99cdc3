"""Couple existing records in bulk by matching fields (number ↔ accountnumber, name, e-mail).

The uncoupled ERP records are read page by page; for each page the CRM records with the same
values are asked for (one filtered query per page), and asked back on the ERP side, so that
a value shared by two records on either side is reported as ambiguous instead of coupled at
random. Only uncoupled records take part, and pairs whose references are not coupled yet
(a salesperson, a currency) are skipped with the reason. Nothing holds a whole table: memory
grows with the pairs found, not with the tables.

A dry run (the default) lists what would be coupled and changes nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from adapters.base import Connector, EntitySpec, Page, Record
from adapters.errors import ConnectorError
from adapters.filters import In, all_of
from gateway.couplings.dependencies import missing_dependencies_of_many
from gateway.couplings.listing import Listing, source_for
from gateway.couplings.service import CouplingService, primary_direction
from gateway.mappings.model import Direction, TableMapping
from gateway.refusals import (
    Problem,
    RefusalCode,
    RefusalError,
    refusal_for,
    refuse,
    unwrapped_connector_errors,
)
from gateway.security.inputs import InputRejectedError, field_name
from gateway.store.couplings import (
    AlreadyCoupledError,
    ConcurrentCouplingError,
    Coupling,
    CouplingRepository,
)
from gateway.sync.pairs import coupled_record

MAX_FIELDS = 4
DEFAULT_MAX = 1000
MAX_PAIRS = 10_000
SCAN_PAGE = 100  # ERP records per step
READ_PAGE = 5000

Key = tuple[str, ...]


@dataclass(frozen=True, slots=True)
class MatchField:
    erp_field: str
    crm_field: str


@dataclass(frozen=True, slots=True)
class MatchedPair:
    erp_id: str
    crm_id: str
    values: Key  # the matched values, as the ERP record holds them
    coupling: Coupling | None  # None in a dry run


@dataclass(frozen=True, slots=True)
class AmbiguousMatch:
    values: Key
    erp_ids: list[str]
    crm_ids: list[str]


@dataclass(frozen=True, slots=True)
class SkippedMatch:
    erp_id: str
    crm_id: str
    code: RefusalCode
    message: str


@dataclass(slots=True)
class MatchReport:
    dry_run: bool
    pairs: list[MatchedPair] = field(default_factory=list)
    ambiguous: list[AmbiguousMatch] = field(default_factory=list)
    skipped: list[SkippedMatch] = field(default_factory=list)
    scanned: int = 0
    complete: bool = False  # every ERP record was looked at


@dataclass(frozen=True, slots=True)
class _Side:
    connector: Connector
    spec: EntitySpec
    fields: tuple[str, ...]

    def key(self, record: Record, case_sensitive: bool) -> Key | None:
        parts = []
        for name in self.fields:
            text = _text(record.values.get(name))
            if text is None:
                return None
            parts.append(text if case_sensitive else text.casefold())
        return tuple(parts)

    def shown(self, record: Record) -> Key:
        return tuple(_text(record.values.get(name)) or "" for name in self.fields)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


class Matcher:
    def __init__(self, service: CouplingService) -> None:
        self.service = service

    async def run(
        self,
        mapping_name: object,
        fields: Sequence[MatchField],
        *,
        case_sensitive: bool = False,
        dry_run: bool = True,
        max_pairs: int | None = None,
    ) -> MatchReport:
        mapping = await self.service.mapping(mapping_name, "mapping")
        erp, crm = self.service.connectors()
        limit = DEFAULT_MAX if max_pairs is None else max_pairs
        if not 1 <= limit <= MAX_PAIRS:
            raise refuse(RefusalCode.INVALID_INPUT, f"max: must be 1 to {MAX_PAIRS}", "max")
        run = _Run(
            couplings=self.service.couplings,
            mapping=mapping,
            erp=_side(erp, mapping.erp_entity, [f.erp_field for f in fields], "erpField"),
            crm=_side(crm, mapping.crm_entity, [f.crm_field for f in fields], "crmField"),
            case_sensitive=case_sensitive,
            limit=limit,
            report=MatchReport(dry_run=dry_run),
        )
        try:
            with unwrapped_connector_errors():
                await run.scan()
        except ConnectorError as exc:
            raise refusal_for(exc, "match records") from None
        return run.report


@dataclass(slots=True)
class _Run:
    couplings: CouplingRepository
    mapping: TableMapping
    erp: _Side
    crm: _Side
    case_sensitive: bool
    limit: int
    report: MatchReport
    reported: set[Key] = field(default_factory=set)  # ambiguous values already reported
    left_over: bool = False  # `max` was reached with matching pairs of a page left over

    def erp_key(self, record: Record) -> Key | None:
        return self.erp.key(record, self.case_sensitive)

    async def scan(self) -> None:
        """The uncoupled ERP records, page by page, each page matched against the CRM."""
        report = self.report
        listing = Listing(
            source_for(self.erp.connector, self.erp.spec.name),
            self.couplings,
            self.mapping.coupling_mapping,
            "erp",
        )
        position: str | None = None
        while len(report.pairs) < self.limit:
            page = await listing.page(size=SCAN_PAGE, after=position, coupled=False)
            report.scanned += len(page.rows)
            await self.match_page([row.record for row in page.rows])
            if self.left_over:
                return  # stopped by `max` in the middle of the page
            if not page.has_next:
                report.complete = True  # the last page, looked at whole
                return
            position = page.end

    async def match_page(self, records: list[Record]) -> None:
        erp, crm, name = self.erp, self.crm, self.mapping.coupling_mapping
        candidates = [r for r in records if self.erp_key(r) is not None]  # uncoupled already
        if not candidates:
            return
        crm_found = await _find(
            crm, [erp.shown(r) for r in candidates], case_sensitive=self.case_sensitive
        )
        crm_taken = await self.couplings.by_crm_ids(name, [r.id for r in crm_found])
        crm_by_key: dict[Key, list[Record]] = defaultdict(list)
        for record in crm_found:
            key = crm.key(record, self.case_sensitive)
            if key is not None and record.id not in crm_taken:
                crm_by_key[key].append(record)
        # Ask back: which ERP records (on any page) hold the values of those CRM records?
        erp_found = await _find(
            erp,
            [crm.shown(r) for rs in crm_by_key.values() for r in rs],
            case_sensitive=self.case_sensitive,
        )
        erp_taken = await self.couplings.by_erp_ids(name, [r.id for r in erp_found])
        erp_by_key: dict[Key, set[str]] = defaultdict(set)
        for record in [*erp_found, *candidates]:
            key = self.erp_key(record)
            if key is not None and record.id not in erp_taken:
                erp_by_key[key].add(record.id)

        proposals: list[tuple[Record, Record]] = []
        for record in candidates:
            key = self.erp_key(record)
            assert key is not None
            matches = crm_by_key.get(key, [])
            if not matches:
                continue
            if len(matches) > 1 or len(erp_by_key[key]) > 1:
                if key not in self.reported:
                    self.reported.add(key)
                    self.report.ambiguous.append(
                        AmbiguousMatch(
                            erp.shown(record),
                            sorted(erp_by_key[key]),
                            sorted(m.id for m in matches),
                        )
                    )
                continue
            proposals.append((record, matches[0]))
        await self.couple(proposals)

    async def couple(self, proposals: list[tuple[Record, Record]]) -> None:
        mapping, report = self.mapping, self.report
        direction = primary_direction(mapping)
        sources = [
            (erp_r if direction is Direction.TO_CRM else crm_r).values for erp_r, crm_r in proposals
        ]
        missing = await missing_dependencies_of_many(mapping, direction, sources, self.couplings)
        for (erp_record, crm_record), problems in zip(proposals, missing, strict=True):
            if len(report.pairs) >= self.limit:
                self.left_over = True
                return
            if problems:
                report.skipped.append(
                    SkippedMatch(
                        erp_record.id,
                        crm_record.id,
                        RefusalCode.DEPENDENCY_NOT_COUPLED,
                        problems[0].message,
                    )
                )
                continue
            coupling: Coupling | None = None
            if not report.dry_run:
                try:
                    result = await self.couplings.couple(
                        mapping.coupling_mapping,
                        coupled_record(mapping, "erp", erp_record),
                        coupled_record(mapping, "crm", crm_record),
                        replace_existing=False,
                    )
                except (AlreadyCoupledError, ConcurrentCouplingError) as exc:
                    report.skipped.append(
                        SkippedMatch(
                            erp_record.id, crm_record.id, RefusalCode.ALREADY_COUPLED, str(exc)
                        )
                    )
                    continue
                coupling = result.coupling
            report.pairs.append(
                MatchedPair(erp_record.id, crm_record.id, self.erp.shown(erp_record), coupling)
            )


def _side(connector: Connector, entity: str, names: list[str], label: str) -> _Side:
    """The side's entity and match fields, each checked to be a field of that entity."""
    if not names:
        raise refuse(RefusalCode.INVALID_INPUT, "fields: give at least one pair", "fields")
    if len(names) > MAX_FIELDS:
        raise refuse(RefusalCode.INVALID_INPUT, f"fields: at most {MAX_FIELDS} pairs", "fields")
    spec = connector.entities().get(entity)
    if spec is None:
        raise refuse(
            RefusalCode.NOT_FOUND, f"{connector.capabilities.label} has no entity {entity!r}"
        )
    problems: list[Problem] = []
    for index, name in enumerate(names):
        where = ("fields", str(index), label)
        try:
            field_name(name, label)
        except InputRejectedError as exc:
            problems.append(Problem(RefusalCode.INVALID_INPUT, f"{label}: {exc.reason}", where))
            continue
        if "." in name or (spec.fields and name not in spec.fields):
            problems.append(
                Problem(
                    RefusalCode.INVALID_INPUT,
                    f"{label}: {entity} has no field {name!r}",
                    where,
                )
            )
    if problems:
        raise RefusalError(*problems)
    return _Side(connector, spec, tuple(names))


async def _find(side: _Side, keys: list[Key], *, case_sensitive: bool) -> list[Record]:
    """Records of `side` whose match fields may hold one of `keys`, in as few queries as the
    URL length allows; the caller compares the values. Dataverse and Business Central compare
    text ignoring case in their default collations; ignoring case, the lower- and upper-case
    spellings are asked for too, for a server that does not."""
    unique = list(dict.fromkeys(key for key in keys if all(key)))
    found: dict[str, Record] = {}
    for chunk in _chunks(unique, side, 1 if case_sensitive else 3):
        condition = all_of(
            *(
                In(name, _spellings((key[index] for key in chunk), case_sensitive))
                for index, name in enumerate(side.fields)
            )
        )
        cursor: str | None = None
        while True:
            result = await side.connector.query(
                side.spec.name, condition, Page(size=READ_PAGE, cursor=cursor)
            )
            found.update((record.id, record) for record in result.records)
            cursor = result.next_cursor
            if cursor is None:
                break
    return list(found.values())


def _spellings(values: Iterable[str], case_sensitive: bool) -> tuple[str, ...]:
    spelled: list[str] = []
    for value in values:
        spelled += [value] if case_sensitive else [value, value.lower(), value.upper()]
    return tuple(dict.fromkeys(spelled))


def _chunks(keys: list[Key], side: _Side, spellings: int) -> list[list[Key]]:
    """Keys per request: each key costs one comparison per field and spelling, and the
    connector says how many comparisons one request may carry."""
    per_key = max(1, len(side.fields) * spellings)
    size = max(1, side.connector.capabilities.max_ids_per_request // per_key)
    return [keys[start : start + size] for start in range(0, len(keys), size)]


__all__ = [
    "AmbiguousMatch",
    "MatchField",
    "MatchReport",
    "MatchedPair",
    "Matcher",
    "SkippedMatch",
]
