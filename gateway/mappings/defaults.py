"""The default table mappings between the ERP (Business Central, Tryton) and Dynamics 365 Sales.

Directions and dependencies follow the integration table of the Microsoft setup guide:
accounts ↔ customers and contacts ↔ contacts both ways; users → salespeople from the CRM;
items, currencies, units and price groups → the CRM; sales orders from the CRM; posted
invoices → the CRM. Salespeople are coupled before customers, units before items, price
groups before prices, and currencies before anything priced.

They are inserted once (`MappingRepository.ensure_defaults`) and from then on belong to the
administrator, who changes them through the API. A default whose entity the configured
systems do not offer is stored disabled.
"""

from __future__ import annotations

from collections.abc import Callable, Collection

from adapters.systems import BUSINESS_CENTRAL, TRYTON
from gateway.mappings.model import (
    ConflictPolicy,
    FieldMapping,
    Lookup,
    LookupBy,
    MappingDirection,
    OtherSystem,
    TableMapping,
)

BOTH = MappingDirection.BIDIRECTIONAL
TO_CRM = MappingDirection.TO_CRM
FROM_CRM = MappingDirection.FROM_CRM

# Columns our Dataverse solution adds to accounts for the ERP's figures.
CRM_BALANCE = "gw_balance"
CRM_TOTAL_SALES = "gw_totalsales"
CRM_OVERDUE = "gw_overdueamount"


def row(
    erp: str | None, crm: str | None, direction: MappingDirection = BOTH, **options: object
) -> FieldMapping:
    return FieldMapping.model_validate(
        {"erp_field": erp, "crm_field": crm, "direction": direction, **options}
    )


def by_key(mapping: str) -> Lookup:
    """The ERP side holds the referenced record's code; the CRM side its id."""
    return Lookup(mapping=mapping, erp_by=LookupBy.KEY, crm_by=LookupBy.ID)


def by_id(mapping: str) -> Lookup:
    return Lookup(mapping=mapping)


def business_central_defaults() -> list[TableMapping]:
    return [
        TableMapping(
            name="SALESPEOPLE",
            erp_entity="salesperson",
            crm_entity="user",
            direction=FROM_CRM,
            erp_key_field="code",
            crm_key_field="internalemailaddress",
            description=(
                "CRM users → salespeople, coupled by e-mail (users that are no salesperson, "
                "such as the integration user, are left alone); couple them before customers."
            ),
            fields=(
                row("displayName", "fullname", FROM_CRM),
                row("email", "internalemailaddress", FROM_CRM),
            ),
        ),
        TableMapping(
            name="CURRENCY",
            erp_entity="currency",
            crm_entity="currency",
            direction=TO_CRM,
            sync_only_coupled=False,
            erp_key_field="code",
            crm_key_field="isocurrencycode",
            crm_template={"exchangerate": 1.0, "currencyprecision": 2},
            couple_local_currency=True,
            description=(
                "Currencies → transaction currencies; the local currency (LCY, a blank code) "
                "is coupled to the CRM's base currency."
            ),
            fields=(
                row("code", "isocurrencycode", TO_CRM),
                row("displayName", "currencyname", TO_CRM),
                row("symbol", "currencysymbol", TO_CRM),
            ),
        ),
        TableMapping(
            name="UNIT OF MEASURE",
            erp_entity="unit_of_measure",
            crm_entity="unit_group",
            direction=TO_CRM,
            sync_only_coupled=False,
            erp_key_field="code",
            crm_key_field="name",
            description="Units of measure → unit groups; couple them before items.",
            fields=(
                row("code", "name", TO_CRM),
                row("displayName", "baseuomname", TO_CRM),
            ),
        ),
        TableMapping(
            name="CUSTOMER",
            erp_entity="customer",
            crm_entity="account",
            direction=BOTH,
            depends_on=("SALESPEOPLE", "CURRENCY"),
            sync_only_coupled=False,
            conflict_policy=ConflictPolicy.NEWEST_WINS,
            erp_key_field="number",
            crm_key_field="accountnumber",
            description="Customers ↔ accounts.",
            fields=(
                row("displayName", "name", transform="trim"),
                row("number", "accountnumber", TO_CRM),
                row("email", "emailaddress1"),
                row("phoneNumber", "telephone1"),
                row("website", "websiteurl"),
                row("addressLine1", "address1_line1"),
                row("city", "address1_city"),
                row("postalCode", "address1_postalcode"),
                # The ERP holds a country code, the CRM free text: "US" is "United States".
                row("country", "address1_country", transform="country"),
                row("salespersonCode", "_ownerid_value", lookup=by_key("SALESPEOPLE")),
                row(
                    "currencyCode",
                    "_transactioncurrencyid_value",
                    TO_CRM,
                    lookup=by_key("CURRENCY"),
                ),
            ),
        ),
        TableMapping(
            name="CONTACT",
            erp_entity="contact",
            crm_entity="contact",
            direction=BOTH,
            depends_on=("CUSTOMER",),
            sync_only_coupled=False,
            erp_key_field="number",
            description="Contacts ↔ contacts, after their companies.",
            fields=(
                row("displayName", "firstname", TO_CRM, transform="first_word"),
                row("displayName", "lastname", TO_CRM, transform="last_words"),
                row("displayName", "fullname", FROM_CRM),
                row("email", "emailaddress1"),
                row("phoneNumber", "telephone1"),
                row("mobilePhoneNumber", "mobilephone"),
                row("city", "address1_city"),
            ),
        ),
        TableMapping(
            name="ITEM-PRODUCT",
            erp_entity="item",
            crm_entity="product",
            direction=TO_CRM,
            sync_only_coupled=False,
            depends_on=("UNIT OF MEASURE",),
            erp_key_field="number",
            crm_key_field="productnumber",
            crm_template={"quantitydecimal": 2},
            description="Items → products, after units of measure.",
            fields=(
                row("number", "productnumber", TO_CRM),
                row("displayName", "name", TO_CRM),
                row("unitPrice", "price", TO_CRM),
                row("unitCost", "standardcost", TO_CRM),
                row(
                    "baseUnitOfMeasureCode",
                    "_defaultuomscheduleid_value",
                    TO_CRM,
                    lookup=by_key("UNIT OF MEASURE"),
                ),
            ),
        ),
        TableMapping(
            name="RESOURCE-PRODUCT",
            erp_entity="resource",
            crm_entity="product",
            direction=TO_CRM,
            depends_on=("UNIT OF MEASURE",),
            sync_only_coupled=False,
            erp_key_field="number",
            crm_key_field="productnumber",
            crm_template={"quantitydecimal": 2, "producttypecode": 3},
            description="Resources → products (service type), after units of measure.",
            fields=(
                row("number", "productnumber", TO_CRM),
                row("displayName", "name", TO_CRM),
                row("unitPrice", "price", TO_CRM),
            ),
        ),
        TableMapping(
            name="CUSTPRCGRP-PRICE",
            erp_entity="customer_price_group",
            crm_entity="price_list",
            direction=TO_CRM,
            sync_only_coupled=False,
            depends_on=("CURRENCY",),
            erp_key_field="code",
            crm_key_field="name",
            description="Customer price groups → price lists; couple them before prices.",
            fields=(row("code", "name", TO_CRM),),
        ),
        TableMapping(
            name="SALESORDER-ORDER",
            erp_entity="sales_order",
            crm_entity="sales_order",
            direction=BOTH,
            depends_on=("CUSTOMER", "CURRENCY", "ITEM-PRODUCT"),
            conflict_policy=ConflictPolicy.CRM_WINS,
            erp_key_field="number",
            crm_key_field="ordernumber",
            crm_filter={"statecode": 1},
            description=(
                "Submitted CRM orders → ERP orders (created by the order workflow, never by "
                "a run: only orders that came from the CRM synchronize); the ERP's delivery "
                "dates flow back."
            ),
            fields=(
                row("externalDocumentNumber", "name", FROM_CRM),
                row("customerId", "_customerid_value", FROM_CRM, lookup=by_id("CUSTOMER")),
                row(
                    "currencyCode",
                    "_transactioncurrencyid_value",
                    FROM_CRM,
                    lookup=by_key("CURRENCY"),
                ),
                row("requestedDeliveryDate", "requestdeliveryby", TO_CRM, transform="date"),
            ),
        ),
        TableMapping(
            name="POSTEDSALESINV-INV",
            erp_entity="invoice",
            crm_entity="invoice",
            direction=TO_CRM,
            depends_on=("CUSTOMER", "CURRENCY", "SALESORDER-ORDER"),
            erp_key_field="number",
            crm_key_field="invoicenumber",
            description=(
                "Posted sales invoices of orders from the CRM → CRM invoices (Billed), created "
                "with their lines by the invoice workflow (the CRM computes the totals)."
            ),
            fields=(
                row("number", "invoicenumber", TO_CRM),
                row("number", "name", TO_CRM),
                row("customerId", "_customerid_value", TO_CRM, lookup=by_id("CUSTOMER")),
                row("orderId", "_salesorderid_value", TO_CRM, lookup=by_id("SALESORDER-ORDER")),
                row(
                    "currencyCode",
                    "_transactioncurrencyid_value",
                    TO_CRM,
                    lookup=by_key("CURRENCY"),
                ),
                row("dueDate", "duedate", TO_CRM, transform="date"),
            ),
        ),
        TableMapping(
            name="SALESQUOTE",
            erp_entity="quote",
            crm_entity="quote",
            direction=FROM_CRM,
            depends_on=("CUSTOMER", "CURRENCY", "ITEM-PRODUCT"),
            conflict_policy=ConflictPolicy.CRM_WINS,
            erp_key_field="number",
            crm_key_field="quotenumber",
            description=(
                "CRM quotes → ERP sales quotes (created by the quote workflows, with their "
                "lines); a draft's header edits follow."
            ),
            fields=(
                row("externalDocumentNumber", "name", FROM_CRM, transform="truncate:35"),
                row("customerId", "_customerid_value", FROM_CRM, lookup=by_id("CUSTOMER")),
                row(
                    "currencyCode",
                    "_transactioncurrencyid_value",
                    FROM_CRM,
                    lookup=by_key("CURRENCY"),
                ),
                row("validUntilDate", "effectiveto", FROM_CRM, transform="date"),
            ),
        ),
        TableMapping(
            name="PROJECT",
            erp_entity="project",
            crm_entity="project",
            direction=TO_CRM,
            depends_on=("CUSTOMER", "SALESQUOTE"),
            erp_key_field="number",
            crm_key_field="erp_projectnumber",
            description=(
                "ERP projects → CRM projects of the coupled accounts, those made from won "
                "quotes or marked to be synchronized to the CRM (coupled by their workflows); "
                "never created by a run."
            ),
            fields=(
                row("displayName", "msdyn_subject", TO_CRM),
                row("number", "erp_projectnumber", TO_CRM),
                row("customerId", "_msdyn_customer_value", TO_CRM, lookup=by_id("CUSTOMER")),
                row("quoteId", "_erp_quoteid_value", TO_CRM, lookup=by_id("SALESQUOTE")),
            ),
        ),
        TableMapping(
            name="CUSTOMER-STATISTICS",
            erp_entity="customer_statistics",
            crm_entity="account",
            direction=TO_CRM,
            depends_on=("CUSTOMER",),
            coupled_through="CUSTOMER",
            description="The ERP's figures of coupled customers → their accounts.",
            fields=(
                row("balance", CRM_BALANCE, TO_CRM),
                row("totalSalesExcludingTax", CRM_TOTAL_SALES, TO_CRM),
                row("overdueAmount", CRM_OVERDUE, TO_CRM),
            ),
        ),
    ]


def tryton_defaults() -> list[TableMapping]:
    """The same integration with Tryton as the ERP (parties, sales, invoices).

    Tryton references other records by id, so every lookup goes by id. Tryton has no
    salesperson on a party and its employees are read-only, so there is no SALESPEOPLE; units,
    currencies and products go to the CRM; a sale is a quote in draft, quotation or cancelled,
    and a sales order from confirmation on; posted customer invoices and projects go to the
    CRM.
    """
    return [
        TableMapping(
            name="CURRENCY",
            erp_entity="currency",
            crm_entity="currency",
            direction=TO_CRM,
            sync_only_coupled=False,
            erp_key_field="code",
            crm_key_field="isocurrencycode",
            crm_template={"exchangerate": 1.0, "currencyprecision": 2},
            description="Currencies → transaction currencies.",
            fields=(
                row("code", "isocurrencycode", TO_CRM),
                row("name", "currencyname", TO_CRM),
                row("symbol", "currencysymbol", TO_CRM),
            ),
        ),
        TableMapping(
            name="UNIT OF MEASURE",
            erp_entity="unit_of_measure",
            crm_entity="unit_group",
            direction=TO_CRM,
            sync_only_coupled=False,
            erp_key_field="symbol",
            crm_key_field="name",
            description="Units of measure → unit groups; couple them before products.",
            fields=(
                row("symbol", "name", TO_CRM),
                row("name", "baseuomname", TO_CRM),
            ),
        ),
        TableMapping(
            name="CUSTOMER",
            erp_entity="customer",
            crm_entity="account",
            direction=BOTH,
            depends_on=("CURRENCY",),
            sync_only_coupled=False,
            conflict_policy=ConflictPolicy.NEWEST_WINS,
            erp_key_field="code",
            crm_key_field="accountnumber",
            description="Parties ↔ accounts (e-mail, phone and website are contact mechanisms).",
            fields=(
                row("name", "name", transform="trim"),
                row("code", "accountnumber", TO_CRM),
                row("email", "emailaddress1"),
                row("phone", "telephone1"),
                row("website", "websiteurl"),
                row("street", "address1_line1"),
                row("city", "address1_city"),
                row("postal_code", "address1_postalcode"),
                row("country_code", "address1_country", TO_CRM, transform="country"),
                row(
                    "currency",
                    "_transactioncurrencyid_value",
                    TO_CRM,
                    lookup=by_id("CURRENCY"),
                ),
            ),
        ),
        TableMapping(
            name="CONTACT",
            erp_entity="contact",
            crm_entity="contact",
            direction=BOTH,
            depends_on=("CUSTOMER",),
            sync_only_coupled=False,
            erp_filter={"type": "email", "named": True},
            description=(
                "A party's named e-mail mechanisms ↔ contacts of its account: the name says "
                "who, the mechanism holds the e-mail."
            ),
            fields=(
                row("name", "firstname", TO_CRM, transform="first_word"),
                row("name", "lastname", TO_CRM, transform="last_words"),
                row("name", "fullname", FROM_CRM),
                row("email", "emailaddress1"),
                row("party", "_parentcustomerid_value", lookup=by_id("CUSTOMER")),
            ),
        ),
        TableMapping(
            name="ITEM-PRODUCT",
            erp_entity="item",
            crm_entity="product",
            direction=TO_CRM,
            sync_only_coupled=False,
            depends_on=("UNIT OF MEASURE",),
            erp_key_field="code",
            crm_key_field="productnumber",
            erp_filter={"salable": True},
            crm_template={"quantitydecimal": 2},
            description="Salable products → products, after units of measure.",
            fields=(
                row("code", "productnumber", TO_CRM),
                row("name", "name", TO_CRM),
                row("list_price", "price", TO_CRM),
                row("cost_price", "standardcost", TO_CRM),
                row(
                    "default_uom",
                    "_defaultuomscheduleid_value",
                    TO_CRM,
                    lookup=by_id("UNIT OF MEASURE"),
                ),
            ),
        ),
        TableMapping(
            name="SALESQUOTE",
            erp_entity="quote",
            crm_entity="quote",
            direction=FROM_CRM,
            depends_on=("CUSTOMER", "CURRENCY", "ITEM-PRODUCT"),
            conflict_policy=ConflictPolicy.CRM_WINS,
            erp_key_field="number",
            crm_key_field="quotenumber",
            description=(
                "CRM quotes → Tryton sales in quotation (created by the quote workflows, with "
                "their lines); the CRM quote's number is the sale's reference."
            ),
            fields=(
                row("reference", "quotenumber", FROM_CRM),
                row("description", "name", FROM_CRM),
                row("party", "_customerid_value", FROM_CRM, lookup=by_id("CUSTOMER")),
                row(
                    "currency",
                    "_transactioncurrencyid_value",
                    FROM_CRM,
                    lookup=by_id("CURRENCY"),
                ),
            ),
        ),
        TableMapping(
            name="SALESORDER-ORDER",
            erp_entity="sales_order",
            crm_entity="sales_order",
            direction=BOTH,
            depends_on=("CUSTOMER", "CURRENCY", "ITEM-PRODUCT"),
            conflict_policy=ConflictPolicy.CRM_WINS,
            erp_key_field="number",
            crm_key_field="ordernumber",
            crm_filter={"statecode": 1},
            description="Submitted CRM orders → confirmed Tryton sales.",
            fields=(
                row("reference", "ordernumber", FROM_CRM),
                row("description", "name", FROM_CRM),
                row("party", "_customerid_value", FROM_CRM, lookup=by_id("CUSTOMER")),
                row(
                    "currency",
                    "_transactioncurrencyid_value",
                    FROM_CRM,
                    lookup=by_id("CURRENCY"),
                ),
            ),
        ),
        TableMapping(
            name="POSTEDSALESINV-INV",
            erp_entity="invoice",
            crm_entity="invoice",
            direction=TO_CRM,
            depends_on=("CUSTOMER", "CURRENCY"),
            # Tryton's invoices name no sale: every posted one goes to the CRM.
            sync_only_coupled=False,
            erp_key_field="number",
            crm_key_field="invoicenumber",
            erp_filter={"state": "posted"},
            description="Posted customer invoices → CRM invoices (Billed).",
            fields=(
                row("number", "invoicenumber", TO_CRM),
                row("number", "name", TO_CRM),
                row("party", "_customerid_value", TO_CRM, lookup=by_id("CUSTOMER")),
                row(
                    "currency",
                    "_transactioncurrencyid_value",
                    TO_CRM,
                    lookup=by_id("CURRENCY"),
                ),
            ),
        ),
        # Tryton makes no project from a sale: projects are created in Tryton, so every one
        # goes to the CRM (a project whose party is not coupled waits as a sync error).
        TableMapping(
            name="PROJECT",
            erp_entity="project",
            crm_entity="project",
            direction=TO_CRM,
            sync_only_coupled=False,
            depends_on=("CUSTOMER",),
            description="Tryton projects → CRM projects of the coupled accounts.",
            fields=(
                row("name", "msdyn_subject", TO_CRM),
                row("comment", "msdyn_description", TO_CRM),
                row("party", "_msdyn_customer_value", TO_CRM, lookup=by_id("CUSTOMER")),
            ),
        ),
        TableMapping(
            name="CUSTOMER-STATISTICS",
            erp_entity="customer_statistics",
            crm_entity="account",
            direction=TO_CRM,
            depends_on=("CUSTOMER",),
            coupled_through="CUSTOMER",
            description=(
                "Tryton's receivables of coupled parties → their accounts (balance: receivable; "
                "overdue: receivable due today or before)."
            ),
            fields=(
                row("balance", CRM_BALANCE, TO_CRM),
                row("totalSalesExcludingTax", CRM_TOTAL_SALES, TO_CRM),
                row("overdueAmount", CRM_OVERDUE, TO_CRM),
            ),
        ),
    ]


PROJECTS = OtherSystem.PROJECT_MANAGEMENT


def business_central_project_defaults() -> list[TableMapping]:
    """Business Central's projects, workers and postings with the project-management system:
    headers both ways, resources to it (blocked ones deactivated)."""
    return [
        TableMapping(
            name="PROJECT-PSPROJECT",
            erp_entity="project",
            crm_entity="project",
            other_system=PROJECTS,
            direction=BOTH,
            sync_only_coupled=False,
            conflict_policy=ConflictPolicy.NEWEST_WINS,
            erp_key_field="number",
            description="Projects ↔ Project Server projects (header fields).",
            fields=(
                row("displayName", "Name"),
                row("number", "ERP Project Number", TO_CRM),
            ),
        ),
        TableMapping(
            name="WORKER-RESOURCE",
            erp_entity="worker",
            crm_entity="resource",
            other_system=PROJECTS,
            direction=TO_CRM,
            sync_only_coupled=False,
            erp_key_field="number",
            crm_key_field="Code",
            description="Resources → enterprise resources (a blocked one is deactivated).",
            fields=(
                row("displayName", "Name", TO_CRM),
                row("number", "Code", TO_CRM),
            ),
        ),
    ]


def tryton_project_defaults() -> list[TableMapping]:
    """Tryton's projects and employees with the project-management system."""
    return [
        TableMapping(
            name="PROJECT-PSPROJECT",
            erp_entity="project",
            crm_entity="project",
            other_system=PROJECTS,
            direction=BOTH,
            sync_only_coupled=False,
            conflict_policy=ConflictPolicy.NEWEST_WINS,
            description="Projects ↔ Project Server projects (header fields).",
            fields=(
                row("name", "Name"),
                row("comment", "Description"),
            ),
        ),
        TableMapping(
            name="WORKER-RESOURCE",
            erp_entity="worker",
            crm_entity="resource",
            other_system=PROJECTS,
            direction=TO_CRM,
            sync_only_coupled=False,
            description="Employees → enterprise resources (an inactive one is deactivated).",
            fields=(row("name", "Name", TO_CRM),),
        ),
    ]


_PROJECT_DEFAULTS: dict[str, Callable[[], list[TableMapping]]] = {
    BUSINESS_CENTRAL: business_central_project_defaults,
    TRYTON: tryton_project_defaults,
}


# The default mappings of each ERP, by its connector's system: a new ERP adds its own here.
_DEFAULTS: dict[str, Callable[[], list[TableMapping]]] = {
    BUSINESS_CENTRAL: business_central_defaults,
    TRYTON: tryton_defaults,
}


def defaults_of(erp_system: str) -> list[TableMapping]:
    """The default mappings for an ERP (Business Central's for a system with none of its own)."""
    return _DEFAULTS.get(erp_system, business_central_defaults)()


def project_defaults_of(erp_system: str) -> list[TableMapping]:
    """The default mappings between an ERP and the project-management system."""
    return _PROJECT_DEFAULTS.get(erp_system, business_central_project_defaults)()


def defaults_for(
    defaults: list[TableMapping],
    *,
    erp_entities: set[str],
    crm_entities: set[str],
    project_entities: Collection[str] = (),
) -> list[TableMapping]:
    """The defaults, with those whose entities a side does not offer stored disabled."""

    def offered(mapping: TableMapping) -> bool:
        other = (
            project_entities
            if mapping.other_system is OtherSystem.PROJECT_MANAGEMENT
            else crm_entities
        )
        return mapping.erp_entity in erp_entities and mapping.crm_entity in other

    return [
        mapping if offered(mapping) else mapping.model_copy(update={"enabled": False})
        for mapping in defaults
    ]
