"""How the lifecycles speak to the configured ERP: its documents' states in the common words,
the actions that move a document, and how a document and its lines are written.

The lifecycles use Business Central's words for the ERP side (a quote is Open, Pending
Approval, Approved, Rejected or Accepted; an order Draft, Open or Shipped; an invoice Draft,
Open, Paid or Canceled) and common action names (approve, reject, reopen, release, confirm,
archive). A dialect translates both for one ERP, and writes documents the way that ERP
takes them. `ErpDialect` is Business Central's, `TrytonDialect` Tryton's; `dialect_of`
picks one by the ERP connector's system.

Tryton, as `docs/lifecycles.md` tells in full: a sale in draft is an Open quote, in quotation
an Approved one (issued to the customer), cancelled a Rejected one, and from confirmation on
an Accepted one (a sales order). approve is `quote`, reject `cancel`, reopen `draft`, release
`quote`, confirm `confirm`; Tryton keeps no versions of a sale, so nothing is archived and a
sale is changed in place. Tryton numbers its records itself: a document the gateway creates
is found again after a crash by its reference (the CRM document's number).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any

from adapters.base import Record
from adapters.filters import Filter, In, eq
from adapters.systems import BUSINESS_CENTRAL, TRYTON
from gateway.refusals import RefusalCode, refuse
from gateway.workflows import states
from gateway.workflows.documents import lines_of, read_one, write_erp_lines
from gateway.workflows.steps import Result, WorkflowContext

Values = Mapping[str, Any] | None


class ErpDialect:
    """Business Central: the lifecycles' own words and actions."""

    name = "Business Central"
    # The entities an ERP quote may be read as over its life (one, in Business Central).
    quote_entities: tuple[str, ...] = ("quote",)
    # A quote's current version is archived before the gateway changes it.
    keeps_versions = True
    # The action that puts a quote the gateway has just written before the customer.
    issue_action: str | None = None
    # The ERP quote states approveQuote and rejectQuote apply to.
    decision_states: frozenset[str] = frozenset({"Open", "Pending Approval"})
    # Posted invoices that name their order (None: the ERP's invoices name none).
    posted_invoices: Filter | None = In("status", ("Open", "Paid"))
    # An order the gateway created is opened (released) in a step of its own.
    opens_orders = False
    # Operations this ERP has no equivalent for, with the reason.
    unsupported: Mapping[str, str] = MappingProxyType({})
    # The field of an order that names the quote it came from (None: the ERP has none).
    order_quote_field: str | None = "quoteNumber"
    # A won (accepted) quote is itself the order: a CRM order made from it is coupled to it.
    won_quote_is_order = False
    # The line entity of each document whose lines are read back.
    _line_entities: Mapping[str, str] = MappingProxyType(
        {"quote": "quote_line", "sales_order": "sales_order_line", "invoice": "invoice_line"}
    )
    _actions: Mapping[str, str] = MappingProxyType(
        {
            "approve": "approve",
            "reject": "reject",
            "reopen": "reopen",
            "release": "approve",
            "confirm": "confirm",
            "archive": "archive",
        }
    )

    def quote_state(self, values: Values) -> str:
        return states.erp_quote_state(values)

    def order_state(self, values: Values) -> str:
        return states.erp_order_state(values)

    def invoice_state(self, values: Values) -> str:
        return states.erp_invoice_state(values)

    def invoice_figures(self, values: Mapping[str, Any]) -> tuple[bool, float, float]:
        """Whether an ERP invoice is paid, its total and what remains to pay."""
        total = float(values.get("totalAmountIncludingTax") or 0)
        return values.get("status") == "Paid", total, float(values.get("remainingAmount") or 0)

    def action(self, name: str) -> str:
        """The ERP's action for a common action name."""
        return self._actions[name]

    def require(self, operation: str) -> None:
        """Refuse, before anything is read or written, what this ERP cannot do."""
        reason = self.unsupported.get(operation)
        if reason is not None:
            raise refuse(
                RefusalCode.INVALID_TRANSITION,
                f"{operation} is not available with {self.name}: {reason}",
            )

    async def read_quote(self, ctx: WorkflowContext, erp_id: str) -> Record | None:
        for entity in self.quote_entities:
            found = await read_one(ctx, "erp", entity, erp_id)
            if found is not None:
                return found
        return None

    async def create_document(
        self, ctx: WorkflowContext, entity: str, header: Mapping[str, Any], new_id: str
    ) -> Result:
        """Create a document's header (its lines follow in `write_lines`)."""
        made = await ctx.erp.create(entity, {**header, "id": new_id})
        return {"id": made.id, "number": made.values.get("number")}

    async def find_document(
        self, ctx: WorkflowContext, entity: str, header: Mapping[str, Any], new_id: str
    ) -> Result | None:
        """The document `create_document` made before a crash, if it did."""
        del header
        found = await read_one(ctx, "erp", entity, new_id)
        return None if found is None else {"id": found.id, "number": found.values.get("number")}

    async def open_order(self, ctx: WorkflowContext, erp_id: str) -> Result:
        """Move an order the gateway created, with its lines, to where the ERP fulfils it."""
        del ctx, erp_id
        return {}

    async def plan_lines(
        self, ctx: WorkflowContext, planned: list[Result], *, field: str
    ) -> list[Result]:
        """The ERP's lines for the common lines of `gateway.workflows.documents.erp_lines`;
        a refusal names the input `field` that named the document."""
        del ctx, field
        return planned

    async def write_lines(
        self,
        ctx: WorkflowContext,
        document: tuple[str, str],
        line_entity: str,
        planned: Sequence[Mapping[str, Any]],
        ids: Sequence[str],
    ) -> Result:
        """Make the document's (entity, id) lines exactly `planned`."""
        return await write_erp_lines(ctx, line_entity, document[1], planned, ids)

    async def document_lines(self, ctx: WorkflowContext, document: Record) -> list[Result]:
        """The ERP document's lines in order, in the common words `plan_lines` takes."""
        entity = self._line_entities[document.entity]
        found = await lines_of(ctx, "erp", entity, "documentId", document.id)
        found.sort(key=lambda line: line.values.get("sequence") or 0)
        return [{name: line.values.get(name) for name in _COMMON_LINE} for line in found]


_COMMON_LINE = (
    "lineType",
    "itemId",
    "lineObjectNumber",
    "description",
    "quantity",
    "unitPrice",
    "discountAmount",
)


class TrytonDialect(ErpDialect):
    """Tryton's sales (`sale.sale`) as quotes and orders."""

    name = "Tryton"
    quote_entities = ("quote", "sales_order")
    keeps_versions = False
    issue_action = "quote"
    # A sale in draft is decided by issuing it (approve) or cancelling it (reject); one in
    # quotation is already issued: approving it only records the decision in the CRM.
    decision_states = frozenset({"Open", "Approved"})
    posted_invoices = None
    opens_orders = True
    order_quote_field = None
    won_quote_is_order = True
    unsupported = MappingProxyType(
        {
            "transferQuoteToProject": (
                "Tryton does not make a project from a sale; create the project (project.work) "
                "in Tryton: the PROJECT mapping sends it to the CRM"
            ),
        }
    )
    _actions = MappingProxyType(
        {
            "approve": "quote",
            "reject": "cancel",
            "reopen": "draft",
            "release": "quote",
            "confirm": "confirm",
        }
    )
    _QUOTE_WORDS = MappingProxyType(
        {
            "draft": "Open",
            "quotation": "Approved",
            "cancelled": "Rejected",
            "confirmed": "Accepted",
            "processing": "Accepted",
            "done": "Accepted",
        }
    )
    _ORDER_WORDS = MappingProxyType(
        {"draft": "Draft", "quotation": "Draft", "confirmed": "Open", "processing": "Open"}
    )
    _INVOICE_WORDS = MappingProxyType(
        {
            "draft": "Draft",
            "validated": "Draft",
            "posted": "Open",
            "paid": "Paid",
            "cancelled": "Canceled",
        }
    )
    _MARKER = "reference"

    def quote_state(self, values: Values) -> str:
        if values is None:
            return states.ABSENT
        return self._QUOTE_WORDS.get(str(values.get("state")), "Open")

    def order_state(self, values: Values) -> str:
        if values is None:
            return states.ABSENT
        if values.get("state") == "done" or values.get("shipment_state") == "sent":
            return "Shipped"
        return self._ORDER_WORDS.get(str(values.get("state")), "Draft")

    def invoice_state(self, values: Values) -> str:
        if values is None:
            return states.ABSENT
        return self._INVOICE_WORDS.get(str(values.get("state")), "Draft")

    def invoice_figures(self, values: Mapping[str, Any]) -> tuple[bool, float, float]:
        total = float(values.get("total_amount") or 0)
        return values.get("state") == "paid", total, float(values.get("amount_to_pay") or 0)

    def action(self, name: str) -> str:
        try:
            return self._actions[name]
        except KeyError:
            raise refuse(
                RefusalCode.INVALID_TRANSITION, f"{self.name} has no equivalent of {name!r}"
            ) from None

    async def create_document(
        self, ctx: WorkflowContext, entity: str, header: Mapping[str, Any], new_id: str
    ) -> Result:
        # Tryton numbers its records: the CRM document's number in `reference` finds it again.
        # A sale starts as a draft quote whatever it becomes: it needs its lines first.
        del entity, new_id
        made = await ctx.erp.create("quote", dict(header))
        return {"id": made.id, "number": made.values.get("number")}

    async def find_document(
        self, ctx: WorkflowContext, entity: str, header: Mapping[str, Any], new_id: str
    ) -> Result | None:
        del entity, new_id
        marker = header.get(self._MARKER)
        if not marker:
            return None
        page = await ctx.erp.query(
            "quote", eq(self._MARKER, str(marker)), order_by=["-id"], fields=("number", "party")
        )
        for found in page.records:
            if found.values.get("party") == header.get("party"):
                return {"id": found.id, "number": found.values.get("number")}
        return None

    async def open_order(self, ctx: WorkflowContext, erp_id: str) -> Result:
        # Quote, then confirm; a resumed step goes on from where the sale got to.
        current = await self.read_quote(ctx, erp_id)
        state = current.values.get("state") if current is not None else None
        for button, before in (("quote", "draft"), ("confirm", "quotation")):
            if state == before:
                moved = await ctx.erp.transition("quote", erp_id, button)
                state = moved.values.get("state") if moved is not None else None
        return {"state": state}

    async def plan_lines(
        self, ctx: WorkflowContext, planned: list[Result], *, field: str
    ) -> list[Result]:
        codes = sorted(
            {str(line["lineObjectNumber"]) for line in planned if line.get("lineObjectNumber")}
        )
        products: dict[str, str] = {}
        if codes:
            page = await ctx.erp.query("item", In("code", tuple(codes)), fields=("code",))
            products = {str(r.values["code"]): r.id for r in page.records}
        lines: list[Result] = []
        for position, line in enumerate(planned, start=1):
            if line.get("lineType") == "Comment":
                lines.append({"type": "comment", "description": line.get("description")})
                continue
            product = line.get("itemId")
            if product is None:
                code = str(line.get("lineObjectNumber"))
                product = products.get(code)
                if product is None:
                    raise refuse(
                        RefusalCode.INVALID_INPUT,
                        f"line {position}: Tryton has no product with code {code!r} "
                        "(WRITE_IN_PRODUCT_NUMBER names the product write-in lines are sold as)",
                        field,
                    )
            values: Result = {"type": "line", "product": product, "quantity": line["quantity"]}
            if line.get("unitPrice") is not None:
                values["unit_price"] = line["unitPrice"]
            if line.get("description"):
                values["description"] = line["description"]
            lines.append(values)
        return lines

    async def write_lines(
        self,
        ctx: WorkflowContext,
        document: tuple[str, str],
        line_entity: str,
        planned: Sequence[Mapping[str, Any]],
        ids: Sequence[str],
    ) -> Result:
        # One write makes the sale's lines exactly these (Tryton replaces them in one
        # transaction), so a resumed step writes the same lines again, never twice as many.
        del line_entity, ids
        entity, document_id = document
        await ctx.erp.update(entity, document_id, {"lines": [dict(line) for line in planned]})
        return {"lines": len(planned)}

    async def document_lines(self, ctx: WorkflowContext, document: Record) -> list[Result]:
        # A sale holds its lines; an invoice's are read. Tryton has no line discount.
        if document.entity == "invoice":
            found = await lines_of(ctx, "erp", "invoice_line", "invoice", document.id)
            rows = [{**line.values, "id": line.id} for line in found]
        else:
            rows = list(document.values.get("lines") or [])
        rows = sorted(
            (row for row in rows if row.get("type") in ("line", "comment")),
            key=lambda row: (row.get("sequence") or 0, int(row["id"])),
        )
        products = sorted({str(row["product"]) for row in rows if row.get("product")})
        codes = {}
        if products:
            items = await ctx.erp.get_many("item", products, fields=("code",))
            codes = {item_id: item.values.get("code") for item_id, item in items.items()}
        lines: list[Result] = []
        for row in rows:
            if row.get("type") == "comment":
                lines.append({"lineType": "Comment", "description": row.get("description")})
                continue
            product = str(row["product"]) if row.get("product") else None
            lines.append(
                {
                    "lineType": "Item",
                    "itemId": product,
                    "lineObjectNumber": codes.get(product) if product else None,
                    "description": row.get("description"),
                    "quantity": row.get("quantity"),
                    "unitPrice": row.get("unit_price"),
                }
            )
        return lines


# The one place a new ERP is named in the lifecycles: its connector's system and its dialect.
_DIALECTS: Mapping[str, ErpDialect] = MappingProxyType(
    {BUSINESS_CENTRAL: ErpDialect(), TRYTON: TrytonDialect()}
)


def dialect_of(system: str) -> ErpDialect:
    """The dialect of an ERP connector's system (the lifecycles' own words by default)."""
    return _DIALECTS.get(system, _DIALECTS[BUSINESS_CENTRAL])


def dialect(ctx: WorkflowContext) -> ErpDialect:
    return dialect_of(ctx.erp.system)
