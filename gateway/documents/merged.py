"""One document as both systems hold it: the CRM's record, the ERP's, and their coupling.

Either record may be missing: a document one system never received, or a system that did not
answer (its coupling still gives the record's id). Facts are taken from the document's origin
first (see `gateway.documents.kinds`), then from the other system; states are given in each
system's words and in the common words of `gateway.documents.lifecycle`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property
from typing import TypeVar

from adapters.base import Record
from adapters.documents import DocumentFields, DocumentKind, Documents
from gateway.documents import lifecycle
from gateway.documents.kinds import KINDS, other
from gateway.documents.lifecycle import LifecycleState, PaymentStatus
from gateway.documents.views import EPOCH, DocumentView
from gateway.store.couplings import Coupling
from gateway.types import SideName
from gateway.workflows.dialects import ErpDialect

T = TypeVar("T")
NODE_SEPARATOR = ":"


@dataclass(frozen=True, slots=True)
class Catalogues:
    """Both systems' declarations of their documents, and the ERP's dialect for its words."""

    crm: Documents
    erp: Documents
    dialect: ErpDialect

    def fields(self, side: SideName, kind: DocumentKind) -> DocumentFields | None:
        return (self.crm if side == "crm" else self.erp).of(kind)

    def view(
        self, side: SideName, kind: DocumentKind, record: Record | None
    ) -> DocumentView | None:
        fields = self.fields(side, kind)
        return None if record is None or fields is None else DocumentView(record, fields)


@dataclass(frozen=True, eq=False)
class Merged:
    """A page reads each fact of a document several times (filters, order, fields): the
    computed ones are computed once (`cached_property`)."""

    kind: DocumentKind
    crm: DocumentView | None
    erp: DocumentView | None
    coupling: Coupling | None
    dialect: ErpDialect

    def side(self, side: SideName) -> DocumentView | None:
        return self.crm if side == "crm" else self.erp

    def side_id(self, side: SideName) -> str | None:
        view = self.side(side)
        if view is not None:
            return view.id
        return self.coupling.side(side).id if self.coupling is not None else None

    @cached_property
    def origin_side(self) -> SideName:
        origin = KINDS[self.kind].origin
        return origin if self.side_id(origin) is not None else other(origin)

    @cached_property
    def key(self) -> str:
        """`<side>:<id>` of its origin's record: the node id's part after the type name."""
        side = self.origin_side
        return f"{side}{NODE_SEPARATOR}{self.side_id(side)}"

    @cached_property
    def _views(self) -> list[DocumentView]:
        """Its records, the origin's first."""
        origin = KINDS[self.kind].origin
        first, second = self.side(origin), self.side(other(origin))
        return [view for view in (first, second) if view is not None]

    def views(self) -> list[DocumentView]:
        """Its records, the origin's first."""
        return self._views

    def first(self, read: Callable[[DocumentView], T | None]) -> T | None:
        """A fact from the origin's record, else from the other's."""
        for view in self._views:
            value = read(view)
            if value is not None:
                return value
        return None

    # ---- facts ------------------------------------------------------------------------------

    @cached_property
    def number(self) -> str | None:
        return self.first(lambda view: view.number)

    @cached_property
    def name(self) -> str | None:
        return self.first(lambda view: view.name)

    @cached_property
    def when(self) -> datetime | None:
        return self.first(lambda view: view.when)

    @cached_property
    def document_date(self) -> date | None:
        found = self.when
        return None if found is None else found.date()

    def erp_first(self, read: Callable[[DocumentView], T | None]) -> T | None:
        """A figure the ERP computes (totals with tax, what remains to pay), else the CRM's."""
        for view in (self.erp, self.crm):
            value = read(view) if view is not None else None
            if value is not None:
                return value
        return None

    # ---- states -----------------------------------------------------------------------------

    @cached_property
    def crm_state(self) -> str | None:
        if self.crm is None:
            return None if self.side_id("crm") else lifecycle.ABSENT
        return lifecycle.crm_words(self.kind, self.crm.values)

    @cached_property
    def erp_state(self) -> str | None:
        if self.erp is None:
            return None if self.side_id("erp") else lifecycle.ABSENT
        status = self.erp.text(self.erp.fields.status)
        return lifecycle.erp_words(self.kind, self.erp.values, self.dialect, status)

    @cached_property
    def payment(self) -> PaymentStatus | None:
        if self.kind is not DocumentKind.INVOICE:
            return None
        crm, erp = self.crm_state or lifecycle.ABSENT, self.erp_state or lifecycle.ABSENT
        if "Canceled" in (crm, erp):
            return None
        figures = self.dialect.invoice_figures(self.erp.values) if self.erp is not None else None
        return lifecycle.payment_status(figures, crm)

    @cached_property
    def state(self) -> LifecycleState:
        """The common state, from what each system says (a system that did not answer is taken
        as saying nothing)."""
        crm, erp = self.crm_state or lifecycle.ABSENT, self.erp_state or lifecycle.ABSENT
        if self.kind is DocumentKind.QUOTE:
            return lifecycle.quote_state(crm, erp)
        if self.kind is DocumentKind.SALES_ORDER:
            return lifecycle.order_state(crm, erp)
        if self.kind is DocumentKind.INVOICE:
            return lifecycle.invoice_state(crm, erp, self.payment)
        if self.kind is DocumentKind.OPPORTUNITY:
            return lifecycle.opportunity_state(crm)
        return lifecycle.project_state(crm, erp)


def newest_first(documents: Iterable[Merged]) -> list[Merged]:
    """Most recent first (by the document's date), then by number, highest first."""
    return sorted(
        documents,
        key=lambda doc: (doc.when or EPOCH, doc.number or "", doc.key),
        reverse=True,
    )


def pair(
    kind: DocumentKind,
    catalogues: Catalogues,
    crm_records: Iterable[Record],
    erp_records: Iterable[Record],
    couplings: Mapping[tuple[SideName, str], Coupling],
) -> list[Merged]:
    """Each record with its coupled counterpart among those read, once per document.

    `couplings` holds the kind's couplings by (side, record id) for the records read; a
    coupled counterpart that was not read is left out (its id stays on the coupling)."""
    erp_by_id = {record.id.lower(): record for record in erp_records}
    crm_list = list(crm_records)
    crm_by_id = {record.id.lower(): record for record in crm_list}
    merged: list[Merged] = []
    taken: set[str] = set()
    for crm in crm_list:
        coupling = couplings.get(("crm", crm.id))
        partner = erp_by_id.get(coupling.erp.id.lower()) if coupling is not None else None
        if coupling is not None:
            taken.add(coupling.erp.id.lower())
        merged.append(merged_of(kind, catalogues, crm, partner, coupling))
    for key, erp in erp_by_id.items():
        if key in taken:
            continue
        coupling = couplings.get(("erp", erp.id))
        counterpart = crm_by_id.get(coupling.crm.id.lower()) if coupling is not None else None
        merged.append(merged_of(kind, catalogues, counterpart, erp, coupling))
    return merged


def merged_of(
    kind: DocumentKind,
    catalogues: Catalogues,
    crm: Record | None,
    erp: Record | None,
    coupling: Coupling | None,
) -> Merged:
    return Merged(
        kind,
        catalogues.view("crm", kind, crm),
        catalogues.view("erp", kind, erp),
        coupling,
        catalogues.dialect,
    )
