"""The Dataverse tables the sandbox serves, as data: columns, lookups, states, numbering.

Names follow the Dataverse Web API reference (entity set `accounts`, key `accountid`, lookup
value `_parentaccountid_value`, navigation property `parentaccountid`). A lookup is written only
through its navigation property (`parentaccountid@odata.bind`), never through `_x_value`.
Columns prefixed `erp_` are the integration solution's own (see `rules.py`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from sandbox.model import Catalogue, EntitySet, Field, FieldType, Navigation

NAMESPACE = "Microsoft.Dynamics.CRM"


@dataclass(frozen=True)
class Lookup:
    """A lookup column and the navigation properties that set it, one per target table."""

    name: str  # logical name: parentaccountid
    targets: dict[str, str]  # navigation property -> entity set
    required: bool = False
    selective: bool = False

    @property
    def column(self) -> str:
        return f"_{self.name}_value"


@dataclass(frozen=True)
class Table:
    entity_set: EntitySet
    lookups: dict[str, Lookup] = field(default_factory=dict)  # by navigation property
    # statecode -> allowed statuscodes, the first being the state's default.
    states: dict[int, tuple[int, ...]] = field(default_factory=dict)
    autonumber: tuple[str, str] | None = None  # (column, prefix)
    parent: tuple[str, str] | None = None  # line tables: (navigation, entity set)


def _text(
    name: str,
    length: int = 100,
    *,
    required: bool = False,
    read_only: bool = False,
    selective: bool = False,
) -> Field:
    return Field(
        name,
        FieldType.STRING,
        max_length=length,
        required=required,
        read_only=read_only,
        selective=selective,
    )


def _int(name: str, *choices: int, read_only: bool = False) -> Field:
    return Field(name, FieldType.INT, choices=choices or None, read_only=read_only)


def _money(name: str, *, required: bool = False, read_only: bool = False) -> Field:
    return Field(name, FieldType.DECIMAL, required=required, read_only=read_only)


def _when(name: str, *, read_only: bool = False) -> Field:
    return Field(name, FieldType.DATETIME, read_only=read_only)


_SYSTEM = (
    Field("createdon", FieldType.DATETIME, read_only=True),
    Field("modifiedon", FieldType.DATETIME, read_only=True, system_time=True),
    Field("versionnumber", FieldType.BIGINT, read_only=True, stored_as="_version"),
)


def _table(
    name: str,
    entity: str,
    *columns: Field,
    lookups: tuple[Lookup, ...] = (),
    states: Mapping[int, tuple[int, ...]] | None = None,
    children: tuple[Navigation, ...] = (),
    tracking: bool = True,
    autonumber: tuple[str, str] | None = None,
    parent: tuple[str, str] | None = None,
    owned: bool = True,
) -> Table:
    key = f"{entity}id"
    all_lookups = list(lookups)
    if owned:
        all_lookups.append(Lookup("ownerid", {"ownerid": "systemusers"}))
    table_fields: dict[str, Field] = {key: Field(key, FieldType.GUID, read_only=True)}
    for column in columns:
        table_fields[column.name] = column
    navs: dict[str, Navigation] = {}
    by_nav: dict[str, Lookup] = {}
    for lookup in all_lookups:
        table_fields[lookup.column] = Field(
            lookup.column, FieldType.GUID, read_only=True, selective=lookup.selective
        )
        for nav, target in lookup.targets.items():
            navs[nav] = Navigation(nav, target, local=lookup.column)
            by_nav[nav] = lookup
    if states:
        table_fields["statecode"] = _int("statecode", *states)
        codes = tuple(code for group in states.values() for code in group)
        table_fields["statuscode"] = _int("statuscode", *codes)
    for system in _SYSTEM:
        table_fields[system.name] = system
    for child in children:
        navs[child.name] = child
    entity_set = EntitySet(
        name=name,
        entity=entity,
        key=key,
        fields=table_fields,
        navigations=navs,
        change_tracking=tracking,
    )
    return Table(entity_set, by_nav, dict(states or {}), autonumber, parent)


_ACTIVE: dict[int, tuple[int, ...]] = {0: (1,), 1: (2,)}
_CURRENCY = Lookup("transactioncurrencyid", {"transactioncurrencyid": "transactioncurrencies"})
_CUSTOMER = Lookup(
    "customerid",
    {"customerid_account": "accounts", "customerid_contact": "contacts"},
    required=True,
    selective=True,
)
_PRICELEVEL = Lookup("pricelevelid", {"pricelevelid": "pricelevels"})


def _line_columns() -> tuple[Field, ...]:
    return (
        _text("productdescription", 500),
        Field("isproductoverridden", FieldType.BOOLEAN),
        _money("quantity", required=True),
        _money("priceperunit"),
        _money("manualdiscountamount"),
        _money("baseamount", read_only=True),
        _money("extendedamount", read_only=True),
        _int("lineitemnumber"),
        _int("sequencenumber"),
    )


def _line_lookups(parent: str, parent_set: str) -> tuple[Lookup, ...]:
    return (
        Lookup(parent, {parent: parent_set}, required=True, selective=True),
        Lookup("productid", {"productid": "products"}),
        Lookup("uomid", {"uomid": "uoms"}),
    )


def _document_totals() -> tuple[Field, ...]:
    return (
        _money("totallineitemamount", read_only=True),
        _money("discountamount"),
        _money("totalamountlessfreight", read_only=True),
        _money("totaltax", read_only=True),
        _money("totalamount", read_only=True),
        _text("description", 2000),
    )


def _plugin_registration() -> tuple[Table, ...]:
    """Where webhooks are registered: the endpoint (`serviceendpoints`, contract 8 = Webhook)
    and the steps that send an event to it (`sdkmessageprocessingsteps`), which name a message
    (`sdkmessages`: Create, Update, Delete) and the table it applies to (`sdkmessagefilters`)."""
    return (
        _table(
            "serviceendpoints",
            "serviceendpoint",
            _text("name", 256, required=True),
            _text("description", 2000),
            _text("url", 2000),
            _int("contract", 1, 2, 3, 4, 5, 6, 7, 8, 9),
            _int("authtype", 1, 2, 3, 4, 5, 6, 7, 8, 9),
            _text("authvalue", 4000),
            _int("messageformat", 1, 2, 3),
            _int("userclaim", 1, 2),
            children=(
                Navigation(
                    "serviceendpoint_sdkmessageprocessingstep",
                    "sdkmessageprocessingsteps",
                    remote="_eventhandler_value",
                    many=True,
                ),
            ),
            tracking=False,
            owned=False,
        ),
        _table(
            "sdkmessages",
            "sdkmessage",
            _text("name", 256, read_only=True, selective=True),
            tracking=False,
            owned=False,
        ),
        _table(
            "sdkmessagefilters",
            "sdkmessagefilter",
            _text("primaryobjecttypecode", 128, read_only=True, selective=True),
            _text("secondaryobjecttypecode", 128, read_only=True),
            Field("iscustomprocessingstepallowed", FieldType.BOOLEAN, read_only=True),
            lookups=(Lookup("sdkmessageid", {"sdkmessageid": "sdkmessages"}, selective=True),),
            tracking=False,
            owned=False,
        ),
        _table(
            "sdkmessageprocessingsteps",
            "sdkmessageprocessingstep",
            _text("name", 256, required=True),
            _text("description", 256),
            _int("mode", 0, 1),
            _int("stage", 10, 20, 40),
            _int("rank"),
            _text("filteringattributes", 100_000),
            Field("asyncautodelete", FieldType.BOOLEAN),
            _int("supporteddeployment", 0, 1, 2),
            lookups=(
                Lookup("sdkmessageid", {"sdkmessageid": "sdkmessages"}, required=True),
                Lookup("sdkmessagefilterid", {"sdkmessagefilterid": "sdkmessagefilters"}),
                Lookup(
                    "eventhandler",
                    {"eventhandler_serviceendpoint": "serviceendpoints"},
                    required=True,
                    selective=True,
                ),
            ),
            states={0: (1,), 1: (2,)},
            tracking=False,
            owned=False,
        ),
    )


TABLES: dict[str, Table] = {
    t.entity_set.name: t
    for t in (
        _table(
            "accounts",
            "account",
            _text("name", 160, required=True),
            _text("accountnumber", 20, selective=True),
            _text("emailaddress1", 100, selective=True),
            _text("telephone1", 50),
            _text("fax", 50),
            _text("websiteurl", 200),
            _text("address1_line1", 250),
            _text("address1_city", 80),
            _text("address1_stateorprovince", 50),
            _text("address1_postalcode", 20),
            _text("address1_country", 80),
            _text("description", 2000),
            _money("revenue"),
            _money("creditlimit"),
            _int("numberofemployees"),
            _int("customertypecode", 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12),
            # The gateway's solution: the ERP customer's figures (Update Account Statistics).
            _money("gw_balance"),
            _money("gw_totalsales"),
            _money("gw_overdueamount"),
            lookups=(
                Lookup("parentaccountid", {"parentaccountid": "accounts"}),
                Lookup("primarycontactid", {"primarycontactid": "contacts"}),
                Lookup("defaultpricelevelid", {"defaultpricelevelid": "pricelevels"}),
                _CURRENCY,
            ),
            states=_ACTIVE,
        ),
        _table(
            "contacts",
            "contact",
            _text("firstname", 50),
            _text("lastname", 50, required=True),
            _text("fullname", 160, read_only=True),
            _text("emailaddress1", 100, selective=True),
            _text("telephone1", 50),
            _text("mobilephone", 50),
            _text("jobtitle", 100),
            _text("address1_city", 80),
            _text("address1_country", 80),
            lookups=(
                Lookup(
                    "parentcustomerid",
                    {
                        "parentcustomerid_account": "accounts",
                        "parentcustomerid_contact": "contacts",
                    },
                    selective=True,
                ),
                _CURRENCY,
            ),
            states=_ACTIVE,
        ),
        _table(
            "systemusers",
            "systemuser",
            _text("firstname", 64),
            _text("lastname", 64, required=True),
            _text("fullname", 200, read_only=True),
            _text("internalemailaddress", 100, selective=True),
            _text("domainname", 1024, selective=True),
            _text("title", 128),
            _text("mobilephone", 64),
            Field("isdisabled", FieldType.BOOLEAN),
            owned=False,
        ),
        _table(
            "organizations",
            "organization",
            _text("name", 160, required=True),
            lookups=(Lookup("basecurrencyid", {"basecurrencyid": "transactioncurrencies"}),),
            tracking=False,
            owned=False,
        ),
        _table(
            "transactioncurrencies",
            "transactioncurrency",
            _text("isocurrencycode", 5, required=True, selective=True),
            _text("currencyname", 100, required=True),
            _text("currencysymbol", 10, required=True),
            _money("exchangerate", required=True),
            _int("currencyprecision"),
            states=_ACTIVE,
            owned=False,
        ),
        _table(
            "uomschedules",
            "uomschedule",
            _text("name", 200, required=True),
            _text("baseuomname", 100, required=True),
            _text("description", 2000),
            states=_ACTIVE,
        ),
        _table(
            "uoms",
            "uom",
            _text("name", 100, required=True),
            _money("quantity"),
            Field("isschedulebaseuom", FieldType.BOOLEAN),
            lookups=(
                Lookup("uomscheduleid", {"uomscheduleid": "uomschedules"}, required=True),
                Lookup("baseuom", {"baseuom": "uoms"}),
            ),
            owned=False,
        ),
        _table(
            "products",
            "product",
            _text("name", 100, required=True),
            _text("productnumber", 100, required=True, selective=True),
            _text("description", 2000),
            _money("price"),
            _money("standardcost"),
            _money("currentcost"),
            _int("quantitydecimal"),
            _int("productstructure", 1, 2, 3),
            _int("producttypecode", 1, 2, 3, 4),
            lookups=(
                Lookup("defaultuomscheduleid", {"defaultuomscheduleid": "uomschedules"}),
                Lookup("defaultuomid", {"defaultuomid": "uoms"}),
                Lookup("pricelevelid", {"pricelevelid": "pricelevels"}),
                _CURRENCY,
            ),
            states={0: (1,), 1: (2,), 2: (0,), 3: (3,)},
            owned=False,
        ),
        _table(
            "pricelevels",
            "pricelevel",
            _text("name", 100, required=True),
            _text("description", 2000),
            _when("begindate"),
            _when("enddate"),
            lookups=(_CURRENCY,),
            states=_ACTIVE,
            owned=False,
        ),
        _table(
            "productpricelevels",
            "productpricelevel",
            _money("amount"),
            lookups=(
                Lookup(
                    "pricelevelid", {"pricelevelid": "pricelevels"}, required=True, selective=True
                ),
                Lookup("productid", {"productid": "products"}, required=True, selective=True),
                Lookup("uomid", {"uomid": "uoms"}, required=True),
                _CURRENCY,
            ),
            owned=False,
        ),
        _table(
            "opportunities",
            "opportunity",
            _text("name", 300, required=True),
            _money("estimatedvalue"),
            _money("actualvalue"),
            _when("estimatedclosedate"),
            _when("actualclosedate"),
            _int("closeprobability"),
            _text("description", 2000),
            lookups=(
                Lookup("parentaccountid", {"parentaccountid": "accounts"}, selective=True),
                _CUSTOMER,
                _PRICELEVEL,
                _CURRENCY,
            ),
            states={0: (1, 2), 1: (3,), 2: (4, 5)},
        ),
        _table(
            "quotes",
            "quote",
            _text("name", 300, required=True),
            _text("quotenumber", 100, read_only=True, selective=True),
            _int("revisionnumber", read_only=True),
            _when("effectivefrom"),
            _when("effectiveto"),
            _when("closedon", read_only=True),
            *_document_totals(),
            lookups=(
                _CUSTOMER,
                Lookup("opportunityid", {"opportunityid": "opportunities"}),
                _PRICELEVEL,
                _CURRENCY,
            ),
            states={0: (1, 100000000, 100000001, 100000002), 1: (2, 3), 2: (4,), 3: (5, 6, 7)},
            children=(
                Navigation("quote_details", "quotedetails", remote="_quoteid_value", many=True),
            ),
            autonumber=("quotenumber", "QUO"),
        ),
        _table(
            "quotedetails",
            "quotedetail",
            *_line_columns(),
            lookups=_line_lookups("quoteid", "quotes"),
            parent=("quoteid", "quotes"),
            owned=False,
        ),
        _table(
            "salesorders",
            "salesorder",
            _text("name", 300, required=True),
            _text("ordernumber", 100, read_only=True, selective=True),
            _when("requestdeliveryby"),
            _when("submitdate", read_only=True),
            _when("datefulfilled", read_only=True),
            *_document_totals(),
            lookups=(
                _CUSTOMER,
                Lookup("quoteid", {"quoteid": "quotes"}, selective=True),
                Lookup("opportunityid", {"opportunityid": "opportunities"}),
                _PRICELEVEL,
                _CURRENCY,
            ),
            states={0: (1, 2), 1: (3,), 2: (4,), 3: (100001, 100002), 4: (100003,)},
            children=(
                Navigation(
                    "order_details", "salesorderdetails", remote="_salesorderid_value", many=True
                ),
            ),
            autonumber=("ordernumber", "ORD"),
        ),
        _table(
            "salesorderdetails",
            "salesorderdetail",
            *_line_columns(),
            lookups=_line_lookups("salesorderid", "salesorders"),
            parent=("salesorderid", "salesorders"),
            owned=False,
        ),
        _table(
            "invoices",
            "invoice",
            _text("name", 300, required=True),
            _text("invoicenumber", 100, selective=True),
            _when("duedate"),
            _when("datedelivered"),
            *_document_totals(),
            lookups=(
                _CUSTOMER,
                Lookup("salesorderid", {"salesorderid": "salesorders"}),
                Lookup("opportunityid", {"opportunityid": "opportunities"}),
                _PRICELEVEL,
                _CURRENCY,
            ),
            states={0: (1, 2, 4, 5, 6), 1: (3, 7), 2: (100001, 100002), 3: (100003,)},
            children=(
                Navigation(
                    "invoice_details", "invoicedetails", remote="_invoiceid_value", many=True
                ),
            ),
            autonumber=("invoicenumber", "INV"),
        ),
        _table(
            "invoicedetails",
            "invoicedetail",
            *_line_columns(),
            lookups=_line_lookups("invoiceid", "invoices"),
            parent=("invoiceid", "invoices"),
            owned=False,
        ),
        _table(
            "incidents",
            "incident",
            _text("title", 200, required=True),
            _text("ticketnumber", 100, read_only=True, selective=True),
            _text("description", 2000),
            _int("prioritycode", 1, 2, 3),
            _int("caseorigincode", 1, 2, 3, 2483, 3986),
            lookups=(_CUSTOMER, Lookup("productid", {"productid": "products"})),
            states={0: (1, 2, 3, 4), 1: (5, 1000), 2: (6, 2000)},
            tracking=False,
            autonumber=("ticketnumber", "CAS"),
        ),
        _table(
            "msdyn_projects",
            "msdyn_project",
            _text("msdyn_subject", 200, required=True),
            _text("msdyn_description", 2000),
            _when("msdyn_scheduledstart"),
            _when("msdyn_finish"),
            _money("msdyn_progress"),
            _text("erp_projectnumber", 20, selective=True),
            lookups=(
                Lookup("msdyn_customer", {"msdyn_customer": "accounts"}, selective=True),
                Lookup("msdyn_projectmanager", {"msdyn_projectmanager": "systemusers"}),
                Lookup("erp_quoteid", {"erp_quoteid": "quotes"}),
            ),
            states=_ACTIVE,
        ),
        *_plugin_registration(),
    )
}

CATALOGUE = Catalogue(table.entity_set for table in TABLES.values())
