"""The sales documents of Dynamics 365 Sales: quotes, orders, invoices, opportunities and
projects (Project Operations' `msdyn_projects`), with their lines.

Dataverse keeps references as lookups: a line's product and unit, a document's currency are
ids, shown through the record they point to (`Ref`). Text search `or`s several columns in
one `$filter`.
"""

from __future__ import annotations

from dataclasses import replace
from types import MappingProxyType

from adapters.base import Entity
from adapters.dataverse_entities import UNIT
from adapters.documents import DocumentFields, DocumentKind, Documents, LineFields, Link, Ref

_CURRENCY = Ref("_transactioncurrencyid_value", Entity.CURRENCY, "isocurrencycode")


def _lines(entity: str, parent: str) -> LineFields:
    return LineFields(
        entity=entity,
        parent=parent,
        sequence="lineitemnumber",
        product="_productid_value",
        product_number=Ref("_productid_value", Entity.PRODUCT, "productnumber"),
        description="productdescription",
        quantity="quantity",
        unit=Ref("_uomid_value", UNIT, "name"),
        unit_price="priceperunit",
        discount_amount="manualdiscountamount",
        amount="extendedamount",
        write_in="isproductoverridden",
    )


# What quotes, orders and invoices share.
_DOCUMENT = DocumentFields(
    entities=(),
    party="_customerid_value",
    name="name",
    owner="_ownerid_value",
    currency=_CURRENCY,
    net="totalamountlessfreight",
    tax="totaltax",
    gross="totalamount",
    date="createdon",
    date_is_datetime=True,
    opportunity="_opportunityid_value",
    search_any=True,
)


DATAVERSE_DOCUMENTS = Documents(
    MappingProxyType(
        {
            DocumentKind.QUOTE: replace(
                _DOCUMENT,
                entities=(Entity.QUOTE,),
                number="quotenumber",
                valid_until="effectiveto",
                revision="revisionnumber",
                lines=_lines(Entity.QUOTE_LINE, "_quoteid_value"),
                search=("name", "quotenumber"),
            ),
            DocumentKind.SALES_ORDER: replace(
                _DOCUMENT,
                entities=(Entity.SALES_ORDER,),
                number="ordernumber",
                requested_delivery="requestdeliveryby",
                quote=Link("_quoteid_value"),
                lines=_lines(Entity.SALES_ORDER_LINE, "_salesorderid_value"),
                search=("name", "ordernumber"),
            ),
            DocumentKind.INVOICE: replace(
                _DOCUMENT,
                entities=(Entity.INVOICE,),
                number="invoicenumber",
                due_date="duedate",
                order=Link("_salesorderid_value"),
                lines=_lines(Entity.INVOICE_LINE, "_invoiceid_value"),
                search=("name", "invoicenumber"),
            ),
            DocumentKind.PROJECT: DocumentFields(
                entities=(Entity.PROJECT,),
                party="_msdyn_customer_value",
                name="msdyn_subject",
                owner="_ownerid_value",
                date="createdon",
                date_is_datetime=True,
                start="msdyn_scheduledstart",
                end="msdyn_finish",
                search=("msdyn_subject",),
                search_any=True,
            ),
            DocumentKind.OPPORTUNITY: DocumentFields(
                entities=(Entity.OPPORTUNITY,),
                party="_parentaccountid_value",
                name="name",
                owner="_ownerid_value",
                currency=_CURRENCY,
                gross="estimatedvalue",
                date="createdon",
                date_is_datetime=True,
                end="estimatedclosedate",
                probability="closeprobability",
                search=("name",),
                search_any=True,
            ),
            DocumentKind.ITEM: DocumentFields(
                entities=(Entity.PRODUCT,),
                number="productnumber",
                name="name",
                unit_price="price",
                search=("name", "productnumber"),
                search_any=True,
            ),
        }
    )
)
