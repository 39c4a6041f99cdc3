"""The Dynamics 365 Sales tables the gateway uses, declared as data.

Each table: its entity set, primary key, the columns read by default (`$select`; reading every
column of a Dataverse table costs far more than the integration needs), its lookups and how to
bind them on write, and whether change tracking is expected to be on. Lookups are read as
`_<name>_value` and written through a single-valued navigation property
(`<navigation>@odata.bind: "/<set>(<id>)"`); polymorphic lookups (a customer may be an account
or a contact) have one navigation property per target table.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from adapters.base import Entity, EntitySpec
from adapters.filters import Compare, Filter, In


@dataclass(frozen=True, slots=True)
class Lookup:
    field: str
    # Target table (canonical name) → navigation property; the first is the default target.
    targets: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class Table:
    spec: EntitySpec
    lookups: Mapping[str, Lookup] = field(default_factory=dict)


UNIT = "unit"  # uoms: the units inside a unit group (no ERP counterpart of its own)


def _owner() -> Lookup:
    return Lookup("_ownerid_value", {Entity.USER: "ownerid"})


def _currency() -> Lookup:
    return Lookup("_transactioncurrencyid_value", {Entity.CURRENCY: "transactioncurrencyid"})


def _price_list(name: str = "pricelevelid") -> Lookup:
    return Lookup(f"_{name}_value", {Entity.PRICE_LIST: name})


def _customer() -> Lookup:
    return Lookup(
        "_customerid_value",
        {Entity.ACCOUNT: "customerid_account", Entity.CONTACT: "customerid_contact"},
    )


def _simple(name: str, target: str) -> Lookup:
    return Lookup(f"_{name}_value", {target: name})


def table(
    name: str,
    entity_set: str,
    key: str,
    columns: Sequence[str],
    lookups: Sequence[Lookup] = (),
    *,
    change_tracking: bool = True,
    read_only: bool = False,
    computed: Sequence[str] = (),
) -> Table:
    fields = frozenset([key, "modifiedon", *columns, *(lookup.field for lookup in lookups)])
    spec = EntitySpec(
        name=name,
        native_name=entity_set,
        key_field=key,
        fields=fields,
        modified_field="modifiedon",
        change_tracking=change_tracking,
        lookups={lookup.field: next(iter(lookup.targets)) for lookup in lookups},
        read_only=read_only,
        computed=frozenset(computed),
    )
    return Table(spec, {lookup.field: lookup for lookup in lookups})


def _document_lines(name: str, entity_set: str, parent: str, parent_entity: str) -> Table:
    """The lines of a quote, an order or an invoice: one shape for the three."""
    return table(
        name,
        entity_set,
        f"{entity_set[:-1]}id",
        [
            "quantity",
            "priceperunit",
            "baseamount",
            "extendedamount",
            "manualdiscountamount",
            "productdescription",
            "isproductoverridden",
            "lineitemnumber",
        ],
        [
            _simple(parent, parent_entity),
            _simple("productid", Entity.PRODUCT),
            _simple("uomid", UNIT),
        ],
    )


TABLES: dict[str, Table] = {
    t.spec.name: t
    for t in (
        table(
            Entity.ACCOUNT,
            "accounts",
            "accountid",
            [
                "name",
                "accountnumber",
                "emailaddress1",
                "telephone1",
                "websiteurl",
                "address1_line1",
                "address1_city",
                "address1_postalcode",
                "address1_country",
                "creditlimit",
                "statecode",
                "statuscode",
                # Our solution's columns for the ERP's figures (CUSTOMER-STATISTICS).
                "gw_balance",
                "gw_totalsales",
                "gw_overdueamount",
            ],
            [
                _owner(),
                _currency(),
                _simple("primarycontactid", Entity.CONTACT),
                _simple("parentaccountid", Entity.ACCOUNT),
                _price_list("defaultpricelevelid"),
            ],
        ),
        table(
            Entity.CONTACT,
            "contacts",
            "contactid",
            [
                "firstname",
                "lastname",
                "fullname",
                "emailaddress1",
                "telephone1",
                "mobilephone",
                "jobtitle",
                "address1_city",
                "statecode",
            ],
            [
                Lookup(
                    "_parentcustomerid_value",
                    {
                        Entity.ACCOUNT: "parentcustomerid_account",
                        Entity.CONTACT: "parentcustomerid_contact",
                    },
                ),
                _owner(),
            ],
        ),
        table(
            Entity.USER,
            "systemusers",
            "systemuserid",
            [
                "fullname",
                "firstname",
                "lastname",
                "internalemailaddress",
                "domainname",
                "isdisabled",
            ],
            change_tracking=False,
            read_only=True,
        ),
        table(
            Entity.CURRENCY,
            "transactioncurrencies",
            "transactioncurrencyid",
            [
                "isocurrencycode",
                "currencyname",
                "currencysymbol",
                "exchangerate",
                "currencyprecision",
            ],
        ),
        table(Entity.UNIT_GROUP, "uomschedules", "uomscheduleid", ["name", "baseuomname"]),
        table(
            UNIT,
            "uoms",
            "uomid",
            ["name", "quantity"],
            [_simple("uomscheduleid", Entity.UNIT_GROUP), _simple("baseuom", UNIT)],
        ),
        table(
            Entity.PRODUCT,
            "products",
            "productid",
            [
                "name",
                "productnumber",
                "description",
                "price",
                "standardcost",
                "currentcost",
                "quantitydecimal",
                "producttypecode",
                "statecode",
            ],
            [
                _simple("defaultuomscheduleid", Entity.UNIT_GROUP),
                _simple("defaultuomid", UNIT),
                _price_list(),
                _currency(),
            ],
        ),
        table(
            Entity.PRICE_LIST,
            "pricelevels",
            "pricelevelid",
            ["name", "begindate", "enddate", "statecode"],
            [_currency()],
        ),
        table(
            Entity.OPPORTUNITY,
            "opportunities",
            "opportunityid",
            [
                "name",
                "estimatedvalue",
                "estimatedclosedate",
                "createdon",
                "closeprobability",
                "description",
                "statecode",
                "statuscode",
            ],
            [
                _simple("parentaccountid", Entity.ACCOUNT),
                _customer(),
                _owner(),
                _currency(),
                _price_list(),
            ],
        ),
        table(
            Entity.QUOTE,
            "quotes",
            "quoteid",
            [
                "name",
                "quotenumber",
                "revisionnumber",
                "totalamount",
                "totallineitemamount",
                "discountamount",
                "totalamountlessfreight",
                "totaltax",
                "effectivefrom",
                "effectiveto",
                "createdon",
                "statecode",
                "statuscode",
            ],
            [
                _customer(),
                _simple("opportunityid", Entity.OPPORTUNITY),
                _price_list(),
                _currency(),
                _owner(),
            ],
            computed=("totalamount", "totallineitemamount"),
        ),
        _document_lines(Entity.QUOTE_LINE, "quotedetails", "quoteid", Entity.QUOTE),
        table(
            Entity.SALES_ORDER,
            "salesorders",
            "salesorderid",
            [
                "name",
                "ordernumber",
                "totalamount",
                "totalamountlessfreight",
                "totaltax",
                "createdon",
                "requestdeliveryby",
                "datefulfilled",
                "submitdate",
                "statecode",
                "statuscode",
            ],
            [
                _customer(),
                _simple("quoteid", Entity.QUOTE),
                _simple("opportunityid", Entity.OPPORTUNITY),
                _price_list(),
                _currency(),
                _owner(),
            ],
            computed=("totalamount",),
        ),
        _document_lines(
            Entity.SALES_ORDER_LINE, "salesorderdetails", "salesorderid", Entity.SALES_ORDER
        ),
        table(
            Entity.INVOICE,
            "invoices",
            "invoiceid",
            [
                "name",
                "invoicenumber",
                "totalamount",
                "totalamountlessfreight",
                "totaltax",
                "createdon",
                "datedelivered",
                "duedate",
                "statecode",
                "statuscode",
            ],
            [
                _customer(),
                _simple("salesorderid", Entity.SALES_ORDER),
                _simple("opportunityid", Entity.OPPORTUNITY),
                _price_list(),
                _currency(),
                _owner(),
            ],
            computed=("totalamount",),
        ),
        _document_lines(Entity.INVOICE_LINE, "invoicedetails", "invoiceid", Entity.INVOICE),
        table(
            Entity.CASE,
            "incidents",
            "incidentid",
            [
                "title",
                "ticketnumber",
                "description",
                "prioritycode",
                "caseorigincode",
                "statecode",
                "statuscode",
            ],
            [_customer(), _owner()],
        ),
        table(
            Entity.PROJECT,
            "msdyn_projects",
            "msdyn_projectid",
            [
                "msdyn_subject",
                "msdyn_description",
                "msdyn_scheduledstart",
                "msdyn_finish",
                "createdon",
                "statecode",
                # Our solution's columns: the ERP project's number and the quote it came from.
                "erp_projectnumber",
            ],
            [
                _simple("msdyn_customer", Entity.ACCOUNT),
                _simple("msdyn_projectmanager", Entity.USER),
                _simple("erp_quoteid", Entity.QUOTE),
                _owner(),
            ],
        ),
    )
}


@dataclass(frozen=True, slots=True)
class OpenRecordCount:
    """How one figure of the CRM statistics is counted: open rows of `entity` per account."""

    figure: str
    entity: str
    account_field: str
    open: Filter


# Open means: opportunity Open (statecode 0), quote Draft or Active (0, 1), case Active (0).
CRM_STATISTICS = (
    OpenRecordCount(
        "opportunities", Entity.OPPORTUNITY, "_parentaccountid_value", Compare("statecode", "eq", 0)
    ),
    OpenRecordCount("quotes", Entity.QUOTE, "_customerid_value", In("statecode", (0, 1))),
    OpenRecordCount("cases", Entity.CASE, "_customerid_value", Compare("statecode", "eq", 0)),
)
