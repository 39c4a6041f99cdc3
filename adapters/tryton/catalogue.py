"""The canonical entities a Tryton database serves, and the models and fields behind them."""

from __future__ import annotations

from types import MappingProxyType

from adapters.base import Entity
from adapters.tryton.customers import MECHANISM_TYPES, ContactShape, CustomerShape
from adapters.tryton.entities import EntityDef
from adapters.tryton.fields import FieldDef, Kind, Write
from adapters.tryton.projects import ACTIVITY, PROJECT_ACTUAL, WORKER
from adapters.tryton.sales import (
    LINE_FIELDS,
    ORDER_STATES,
    QUOTE_STATES,
    SALE_ACTIONS,
    SaleLineShape,
    SaleShape,
)
from adapters.tryton.statistics import StatisticsShape

RO = Write.NONE
SHAPED = Write.SHAPE


def _mechanism(kind: str) -> FieldDef:
    return FieldDef(
        kind,
        write=SHAPED,
        where=("contact_mechanisms", (("type", "=", kind),), "value"),
    )


CUSTOMER = EntityDef(
    name=Entity.CUSTOMER,
    model="party.party",
    fields=(
        FieldDef("name"),
        FieldDef("code"),
        *(_mechanism(kind) for kind in MECHANISM_TYPES),
        FieldDef("city", source="", write=SHAPED, search="addresses.city"),
        FieldDef("street", source="", write=SHAPED, search="addresses.street"),
        FieldDef("postal_code", source="", write=SHAPED, search="addresses.postal_code"),
        FieldDef("country_code", source="", write=SHAPED, search="addresses.country.code"),
        FieldDef("active", Kind.BOOLEAN),
        FieldDef("currency", Kind.REF, lookup=Entity.CURRENCY),
    ),
    shape=CustomerShape(),
)

CONTACT = EntityDef(
    name=Entity.CONTACT,
    model="party.contact_mechanism",
    fields=(
        FieldDef("party", Kind.REF, lookup=Entity.CUSTOMER),
        FieldDef("name"),
        FieldDef(
            "type",
            choices=frozenset(
                {"phone", "mobile", "fax", "email", "website", "skype", "sip", "irc", "jabber"}
                | {"other"}
            ),
        ),
        FieldDef("value"),
        FieldDef("comment"),
        FieldDef("sequence", Kind.INTEGER),
        FieldDef("active", Kind.BOOLEAN),
        *(FieldDef(kind, source="", write=SHAPED, search="") for kind in MECHANISM_TYPES),
        # A mechanism with a name is a person's; one without is the party's own.
        FieldDef("named", Kind.BOOLEAN, source="", write=RO, present="name"),
    ),
    shape=ContactShape(),
)

_SALE_FIELDS: tuple[FieldDef, ...] = (
    FieldDef("number", write=RO),
    FieldDef("reference"),
    FieldDef("description"),
    FieldDef("party", Kind.REF, lookup=Entity.CUSTOMER),
    FieldDef("state", write=RO),
    FieldDef("sale_date", Kind.DATE),
    FieldDef("quotation_date", Kind.DATE, write=RO),
    FieldDef("quotation_expire", Kind.DATE, write=RO, search=""),
    FieldDef("shipping_date", Kind.DATE),
    FieldDef("created", Kind.DATETIME, source="create_date", write=RO),
    FieldDef("currency", Kind.REF, lookup=Entity.CURRENCY),
    FieldDef("currency_code", source="currency.code", write=RO),
    FieldDef("payment_term", Kind.REF),
    FieldDef("invoice_address", Kind.REF),
    FieldDef("shipment_address", Kind.REF),
    FieldDef("untaxed_amount", Kind.DECIMAL, write=RO),
    FieldDef("tax_amount", Kind.DECIMAL, write=RO),
    FieldDef("total_amount", Kind.DECIMAL, write=RO),
    FieldDef("invoice_state", write=RO),
    FieldDef("shipment_state", write=RO),
    FieldDef("invoices", Kind.REFS, write=RO),
    FieldDef("comment"),
    FieldDef("lines", Kind.ROWS, source="", write=SHAPED, search=""),
)
_SALE_SHAPE = SaleShape()

QUOTE = EntityDef(
    name=Entity.QUOTE,
    model="sale.sale",
    fields=_SALE_FIELDS,
    states=QUOTE_STATES,
    actions=SALE_ACTIONS,
    shape=_SALE_SHAPE,
)

SALES_ORDER = EntityDef(
    name=Entity.SALES_ORDER,
    model="sale.sale",
    fields=_SALE_FIELDS,
    states=ORDER_STATES,
    actions=SALE_ACTIONS,
    shape=_SALE_SHAPE,
)


def _line_entity(name: str, sale_entity: str, states: frozenset[str]) -> EntityDef:
    return EntityDef(
        name=name,
        model="sale.line",
        fields=(FieldDef("sale", Kind.REF, lookup=sale_entity), *LINE_FIELDS),
        domain=(("sale.state", "in", tuple(sorted(states))),),
        shape=SaleLineShape(),
    )


QUOTE_LINE = _line_entity(Entity.QUOTE_LINE, Entity.QUOTE, QUOTE_STATES)
SALES_ORDER_LINE = _line_entity(Entity.SALES_ORDER_LINE, Entity.SALES_ORDER, ORDER_STATES)

PROJECT = EntityDef(
    name=Entity.PROJECT,
    model="project.work",
    fields=(
        FieldDef("name"),
        FieldDef("number", write=RO),
        FieldDef("party", Kind.REF, lookup=Entity.CUSTOMER),
        FieldDef("party_address", Kind.REF),
        FieldDef("status", Kind.REF),
        FieldDef("status_name", source="status.name", write=RO),
        FieldDef("parent", Kind.REF, lookup=Entity.PROJECT),
        FieldDef("effort_hours", Kind.HOURS, source="effort_duration"),
        FieldDef("progress", Kind.FLOAT),
        FieldDef("comment"),
        FieldDef("start", Kind.DATE, source="timesheet_start_date", write=RO, search=""),
        FieldDef("end", Kind.DATE, source="timesheet_end_date", write=RO, search=""),
        FieldDef("created", Kind.DATETIME, source="create_date", write=RO),
    ),
    domain=(("type", "=", "project"),),
    defaults=MappingProxyType({"type": "project"}),
)

INVOICE = EntityDef(
    name=Entity.INVOICE,
    model="account.invoice",
    fields=(
        FieldDef("number"),
        FieldDef("reference"),
        FieldDef("description"),
        FieldDef("party", Kind.REF, lookup=Entity.CUSTOMER),
        FieldDef("invoice_date", Kind.DATE),
        FieldDef("state"),
        FieldDef("currency", Kind.REF, lookup=Entity.CURRENCY),
        FieldDef("currency_code", source="currency.code"),
        FieldDef("payment_term", Kind.REF),
        FieldDef("untaxed_amount", Kind.DECIMAL),
        FieldDef("tax_amount", Kind.DECIMAL),
        FieldDef("total_amount", Kind.DECIMAL),
        FieldDef("amount_to_pay", Kind.DECIMAL),
        # The sales whose lines it invoices (sale_invoice's link through the lines' origin).
        FieldDef("sales", Kind.REFS),
        FieldDef("created", Kind.DATETIME, source="create_date"),
    ),
    domain=(("type", "=", "out"),),
    read_only=True,
    actions=frozenset({"validate_invoice", "post", "cancel", "draft"}),
)

# The lines of customer invoices, read to carry an invoice to the CRM with its lines.
INVOICE_LINE = EntityDef(
    name=Entity.INVOICE_LINE,
    model="account.invoice.line",
    fields=(
        FieldDef("invoice", Kind.REF, lookup=Entity.INVOICE),
        FieldDef("sequence", Kind.INTEGER),
        FieldDef("type"),
        FieldDef("product", Kind.REF, lookup=Entity.ITEM),
        FieldDef("product_code", source="product.code"),
        FieldDef("description"),
        FieldDef("quantity", Kind.FLOAT),
        FieldDef("unit", Kind.REF, lookup=Entity.UNIT_OF_MEASURE),
        FieldDef("unit_symbol", source="unit.symbol"),
        FieldDef("unit_price", Kind.DECIMAL),
        FieldDef("amount", Kind.DECIMAL),
    ),
    domain=(("invoice.type", "=", "out"),),
    read_only=True,
)

CUSTOMER_STATISTICS = EntityDef(
    name=Entity.CUSTOMER_STATISTICS,
    model="party.party",
    fields=(
        FieldDef("name"),
        FieldDef("code"),
        FieldDef("balance", Kind.DECIMAL, source="receivable", search=""),
        FieldDef("overdueAmount", Kind.DECIMAL, source="receivable_today", search=""),
        FieldDef("totalSales", Kind.DECIMAL, source="", search=""),
        FieldDef("totalSalesExcludingTax", Kind.DECIMAL, source="", search=""),
        FieldDef("currencyCode", source="", search=""),
        FieldDef("receivable", Kind.DECIMAL, search=""),
        FieldDef("receivable_today", Kind.DECIMAL, search=""),
        FieldDef("payable", Kind.DECIMAL, search=""),
        FieldDef("payable_today", Kind.DECIMAL, search=""),
    ),
    read_only=True,
    tracked=False,
    shape=StatisticsShape(),
)

CURRENCY = EntityDef(
    name=Entity.CURRENCY,
    model="currency.currency",
    fields=(
        FieldDef("code"),
        FieldDef("name"),
        FieldDef("symbol"),
        FieldDef("numeric_code"),
        FieldDef("rate", Kind.DECIMAL, search=""),
        FieldDef("digits", Kind.INTEGER),
        FieldDef("rounding", Kind.DECIMAL),
        FieldDef("active", Kind.BOOLEAN),
    ),
    read_only=True,
)

ITEM = EntityDef(
    name=Entity.ITEM,
    model="product.product",
    fields=(
        FieldDef("code"),
        FieldDef("name"),
        FieldDef("description"),
        FieldDef("type"),
        FieldDef("salable", Kind.BOOLEAN),
        FieldDef("list_price", Kind.DECIMAL, source="list_price_used", search=""),
        FieldDef("cost_price", Kind.DECIMAL, search=""),
        FieldDef("default_uom", Kind.REF, lookup=Entity.UNIT_OF_MEASURE),
        FieldDef("sale_uom", Kind.REF, lookup=Entity.UNIT_OF_MEASURE),
        FieldDef("unit_code", source="default_uom.symbol"),
        FieldDef("template", Kind.REF),
        FieldDef("active", Kind.BOOLEAN),
    ),
    read_only=True,
)

UNIT_OF_MEASURE = EntityDef(
    name=Entity.UNIT_OF_MEASURE,
    model="product.uom",
    fields=(
        FieldDef("name"),
        FieldDef("symbol"),
        FieldDef("category", Kind.REF),
        FieldDef("category_name", source="category.name"),
        FieldDef("rate", Kind.FLOAT),
        FieldDef("factor", Kind.FLOAT),
        FieldDef("rounding", Kind.FLOAT),
        FieldDef("digits", Kind.INTEGER),
        FieldDef("active", Kind.BOOLEAN),
    ),
    read_only=True,
)

SALESPERSON = EntityDef(
    name=Entity.SALESPERSON,
    model="company.employee",
    fields=(
        FieldDef("name", source="party.name"),
        FieldDef("code", source="party.code"),
        FieldDef("party", Kind.REF),
        FieldDef("company", Kind.REF),
        FieldDef("start_date", Kind.DATE),
        FieldDef("end_date", Kind.DATE),
        FieldDef("active", Kind.BOOLEAN),
    ),
    read_only=True,
)

ENTITIES: MappingProxyType[str, EntityDef] = MappingProxyType(
    {
        entity.name: entity
        for entity in (
            CUSTOMER,
            CONTACT,
            QUOTE,
            QUOTE_LINE,
            SALES_ORDER,
            SALES_ORDER_LINE,
            PROJECT,
            ACTIVITY,
            WORKER,
            PROJECT_ACTUAL,
            INVOICE,
            INVOICE_LINE,
            CUSTOMER_STATISTICS,
            CURRENCY,
            ITEM,
            UNIT_OF_MEASURE,
            SALESPERSON,
        )
    }
)
