"""The Business Central API v2.0 entity sets the sandbox serves, as data.

Names and properties follow the API v2.0 reference (`customers`, `salesQuotes`,
`salesQuoteLines`, …). Sandbox extensions, marked below, fill gaps the gateway needs and the
standard API lacks: `customerPriceGroups`, `salesQuoteArchives`, and on `salesQuotes` the
`approvalStatus`, `archivedVersions`, `projectId` and `projectNumber` properties; on `projects`
the `customerId`, `customerNumber`, `quoteId`, `quoteNumber`, `status` and `synchronizeToCrm`
properties (the Projects page's "Synchronize to Dynamics 365 Sales" box); on `salesOrders` a
writable `quoteNumber`.

Project accounting (sandbox extensions; a real tenant needs an extension that publishes
these pages as API pages, see `sandbox/README.md`): `projectTasks` (job tasks: the activity
tree of a project, by Begin-Total/End-Total ranges or an explicit `parentTaskNumber`),
`resources` (people and machines that post hours) and the read-only `projectLedgerEntries`
(posted hours and expenses). `employees` is the standard API v2.0 page.
"""

from __future__ import annotations

from sandbox.model import Catalogue, EntitySet, Field, FieldType, Navigation, fields, navigations

NAMESPACE = "Microsoft.NAV"
MODIFIED = "lastModifiedDateTime"

QUOTE_STATUSES = ("Draft", "Sent", "Accepted", "Expired")
APPROVAL_STATUSES = ("Open", "Pending Approval", "Approved", "Rejected")
ORDER_STATUSES = ("Draft", "In Review", "Open")
INVOICE_STATUSES = (" ", "Draft", "In Review", "Open", "Paid", "Canceled", "Corrective")
LINE_TYPES = ("Comment", "Account", "Item", "Resource", "Fixed Asset", "Charge")


def _s(
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


def _d(name: str, *, required: bool = False, read_only: bool = False) -> Field:
    return Field(name, FieldType.DECIMAL, required=required, read_only=read_only)


def _g(name: str, *, read_only: bool = False, selective: bool = False) -> Field:
    return Field(name, FieldType.GUID, read_only=read_only, selective=selective)


def _b(name: str, *, read_only: bool = False) -> Field:
    return Field(name, FieldType.BOOLEAN, read_only=read_only)


def _date(name: str, *, read_only: bool = False) -> Field:
    return Field(name, FieldType.DATE, read_only=read_only)


def _choice(name: str, values: tuple[str, ...], *, read_only: bool = False) -> Field:
    return Field(name, FieldType.STRING, choices=values, read_only=read_only)


_ID = Field("id", FieldType.GUID, read_only=True)
_MODIFIED = Field(MODIFIED, FieldType.DATETIME, read_only=True, system_time=True)


def _set(
    name: str,
    entity: str,
    *columns: Field,
    navs: tuple[Navigation, ...] = (),
    modified: bool = True,
    writable: bool = True,
    defaults: dict[str, object] | None = None,
) -> EntitySet:
    all_fields = [_ID, *columns]
    if modified:
        all_fields.append(_MODIFIED)
    return EntitySet(
        name=name,
        entity=entity,
        key="id",
        fields=fields(*all_fields),
        navigations=navigations(*navs),
        modified_field=MODIFIED if modified else None,
        created_field=None,
        writable=writable,
        defaults=defaults or {},
    )


def _addresses(*prefixes: str) -> list[Field]:
    found: list[Field] = []
    for prefix in prefixes:
        found += [
            _s(f"{prefix}AddressLine1", 100),
            _s(f"{prefix}AddressLine2", 50),
            _s(f"{prefix}City", 30),
            _s(f"{prefix}Country", 10),
            _s(f"{prefix}State", 30),
            _s(f"{prefix}PostCode", 20),
        ]
    return found


def _document_header(number_read_only: bool = True) -> list[Field]:
    return [
        _s("number", 20, read_only=number_read_only, selective=True),
        _s("externalDocumentNumber", 35, selective=True),
        _date("postingDate"),
        _g("customerId", selective=True),
        _s("customerNumber", 20),
        _s("customerName", 100, read_only=True),
        _s("billToName", 100, read_only=True),
        _g("billToCustomerId"),
        _s("billToCustomerNumber", 20),
        _s("shipToName", 100),
        _s("shipToContact", 100),
        *_addresses("sellTo", "billTo", "shipTo"),
        _s("shortcutDimension1Code", 20),
        _s("shortcutDimension2Code", 20),
        _g("currencyId"),
        _s("currencyCode", 10),
        _g("paymentTermsId"),
        _g("shipmentMethodId"),
        _s("salesperson", 20),
        _d("discountAmount"),
        _d("totalAmountExcludingTax", read_only=True),
        _d("totalTaxAmount", read_only=True),
        _d("totalAmountIncludingTax", read_only=True),
        _s("phoneNumber", 30),
        _s("email", 80),
    ]


def _line(extra: list[Field] | None = None) -> list[Field]:
    return [
        _g("documentId", selective=True),
        Field("sequence", FieldType.INT),
        _g("itemId"),
        _g("accountId"),
        _choice("lineType", LINE_TYPES),
        _s("lineObjectNumber", 20),
        _s("description", 100),
        _g("unitOfMeasureId"),
        _s("unitOfMeasureCode", 10),
        _d("unitPrice"),
        _d("quantity"),
        _d("discountAmount"),
        _d("discountPercent"),
        _b("discountAppliedBeforeTax"),
        _d("amountExcludingTax", read_only=True),
        _s("taxCode", 20),
        _d("taxPercent", read_only=True),
        _d("totalTaxAmount", read_only=True),
        _d("amountIncludingTax", read_only=True),
        _d("netAmount", read_only=True),
        _d("netTaxAmount", read_only=True),
        _d("netAmountIncludingTax", read_only=True),
        _g("itemVariantId"),
        *(extra or []),
    ]


def _customer_nav() -> Navigation:
    return Navigation("customer", "customers", local="customerId")


SETS = (
    _set(
        "customers",
        "customer",
        _s("number", 20, selective=True),
        _s("displayName", 100, required=True),
        _choice("type", ("Company", "Person")),
        _s("addressLine1", 100),
        _s("addressLine2", 50),
        _s("city", 30),
        _s("state", 30),
        _s("country", 10),
        _s("postalCode", 20),
        _s("phoneNumber", 30),
        _s("email", 80, selective=True),
        _s("website", 80),
        _s("salespersonCode", 20),
        _d("balanceDue", read_only=True),
        _d("creditLimit"),
        _b("taxLiable"),
        _g("taxAreaId"),
        _s("taxAreaDisplayName", 100, read_only=True),
        _s("taxRegistrationNumber", 20),
        _g("currencyId"),
        _s("currencyCode", 10),
        _g("paymentTermsId"),
        _g("shipmentMethodId"),
        _g("paymentMethodId"),
        _choice("blocked", (" ", "Ship", "Invoice", "All")),
        navs=(
            Navigation("customerFinancialDetail", "customerFinancialDetails", local="id"),
            Navigation("customerFinancialDetails", "customerFinancialDetails", local="id"),
            Navigation("currency", "currencies", local="currencyId"),
        ),
        defaults={"type": "Company", "blocked": " ", "taxLiable": False, "creditLimit": 0.0},
    ),
    _set(
        "contacts",
        "contact",
        _s("number", 20, selective=True),
        _choice("type", ("Company", "Person")),
        _s("displayName", 100, required=True),
        _s("companyNumber", 20),
        _s("companyName", 100),
        _choice(
            "contactBusinessRelation",
            (" ", "None", "Customer", "Vendor", "Bank Account", "Employee", "Multiple"),
        ),
        _s("addressLine1", 100),
        _s("addressLine2", 50),
        _s("city", 30),
        _s("state", 30),
        _s("country", 10),
        _s("postalCode", 20),
        _s("phoneNumber", 30),
        _s("mobilePhoneNumber", 30),
        _s("email", 80, selective=True),
        _s("website", 80),
        _s("searchName", 100),
        _b("privacyBlocked"),
        _s("taxRegistrationNumber", 20),
        _date("lastInteractionDate", read_only=True),
        defaults={"type": "Person", "privacyBlocked": False},
    ),
    _set(
        "salespeople",
        "salespersonPurchaser",
        _s("code", 20, required=True, selective=True),
        _s("displayName", 50),
        _s("email", 80, selective=True),
        _s("email2", 80),
        _s("phoneNo", 30),
        _s("jobTitle", 30),
        _d("commisionPercent"),
        _b("privacyBlocked"),
        _b("blocked"),
        defaults={"privacyBlocked": False, "blocked": False, "commisionPercent": 0.0},
    ),
    _set(
        "currencies",
        "currency",
        _s("code", 10, required=True, selective=True),
        _s("displayName", 30),
        _s("symbol", 10),
        Field("amountDecimalPlaces", FieldType.STRING, max_length=5),
        _d("amountRoundingPrecision"),
    ),
    _set(
        "unitsOfMeasure",
        "unitOfMeasure",
        _s("code", 10, required=True, selective=True),
        _s("displayName", 50),
        _s("internationalStandardCode", 10),
        _s("symbol", 10),
    ),
    _set(
        "items",
        "item",
        _s("number", 20, selective=True),
        _s("displayName", 100, required=True),
        _choice("type", ("Inventory", "Service", "Non-Inventory")),
        _g("itemCategoryId"),
        _s("itemCategoryCode", 20),
        _b("blocked"),
        _s("gtin", 14),
        _d("inventory", read_only=True),
        _d("unitPrice"),
        _b("priceIncludesTax"),
        _d("unitCost"),
        _g("taxGroupId"),
        _s("taxGroupCode", 20),
        _g("baseUnitOfMeasureId"),
        _s("baseUnitOfMeasureCode", 10),
        _g("generalProductPostingGroupId"),
        _s("generalProductPostingGroupCode", 20),
        _g("inventoryPostingGroupId"),
        _s("inventoryPostingGroupCode", 20),
        navs=(Navigation("unitOfMeasure", "unitsOfMeasure", local="baseUnitOfMeasureId"),),
        defaults={
            "type": "Inventory",
            "blocked": False,
            "priceIncludesTax": False,
            "inventory": 0.0,
            "unitPrice": 0.0,
            "unitCost": 0.0,
        },
    ),
    _set(
        "companyInformation",
        "companyInformation",
        _s("displayName", 250),
        _s("addressLine1", 100),
        _s("city", 30),
        _s("country", 10),
        _s("phoneNumber", 30),
        _s("email", 80),
        _s("website", 80),
        _s("taxRegistrationNumber", 20),
        # The local currency (LCY): documents in it leave their currency code blank.
        _s("currencyCode", 10, read_only=True),
        _date("currentFiscalYearStartDate", read_only=True),
        writable=False,
    ),
    _set(  # sandbox extension
        "customerPriceGroups",
        "customerPriceGroup",
        _s("code", 10, required=True, selective=True),
        _s("displayName", 50),
        _b("allowInvoiceDiscount"),
        _b("priceIncludesTax"),
        defaults={"allowInvoiceDiscount": True, "priceIncludesTax": False},
    ),
    _set(
        "salesQuotes",
        "salesQuote",
        *_document_header(),
        _date("documentDate"),
        _date("dueDate"),
        _choice("status", QUOTE_STATUSES, read_only=True),
        Field("sentDate", FieldType.DATETIME, read_only=True),
        _date("validUntilDate"),
        _date("acceptedDate", read_only=True),
        _choice("approvalStatus", APPROVAL_STATUSES, read_only=True),  # extension
        Field("archivedVersions", FieldType.INT, read_only=True),  # extension
        _g("projectId", read_only=True),  # extension
        _s("projectNumber", 20, read_only=True),  # extension
        navs=(
            Navigation("salesQuoteLines", "salesQuoteLines", remote="documentId", many=True),
            Navigation("salesQuoteArchives", "salesQuoteArchives", remote="quoteId", many=True),
            _customer_nav(),
        ),
    ),
    _set(
        "salesQuoteLines",
        "salesQuoteLine",
        *_line(),
        modified=False,
        navs=(Navigation("salesQuote", "salesQuotes", local="documentId"),),
    ),
    _set(
        "salesOrders",
        "salesOrder",
        *_document_header(),
        _date("orderDate"),
        _b("pricesIncludeTax", read_only=True),
        _b("partialShipping"),
        _date("requestedDeliveryDate"),
        _b("discountAppliedBeforeTax"),
        _b("fullyShipped", read_only=True),
        _choice("status", ORDER_STATUSES, read_only=True),
        # "Quote No." of the sales header; writable here (an extension) so that the CRM
        # integration can name the quote an order made from a CRM order came from.
        _s("quoteNumber", 20),
        navs=(
            Navigation("salesOrderLines", "salesOrderLines", remote="documentId", many=True),
            _customer_nav(),
        ),
    ),
    _set(
        "salesOrderLines",
        "salesOrderLine",
        *_line(
            [
                _date("shipmentDate"),
                _d("shippedQuantity", read_only=True),
                _d("invoicedQuantity", read_only=True),
                _d("invoiceQuantity"),
                _d("shipQuantity"),
            ]
        ),
        modified=False,
        navs=(Navigation("salesOrder", "salesOrders", local="documentId"),),
    ),
    _set(
        "salesInvoices",
        "salesInvoice",
        *_document_header(),
        _date("invoiceDate"),
        _date("dueDate"),
        _s("customerPurchaseOrderReference", 35),
        _g("orderId", read_only=True),
        _s("orderNumber", 20, read_only=True),
        _b("pricesIncludeTax", read_only=True),
        _d("remainingAmount", read_only=True),
        _b("discountAppliedBeforeTax"),
        _choice("status", INVOICE_STATUSES, read_only=True),
        navs=(
            Navigation("salesInvoiceLines", "salesInvoiceLines", remote="documentId", many=True),
            _customer_nav(),
        ),
    ),
    _set(
        "salesInvoiceLines",
        "salesInvoiceLine",
        *_line([_date("shipmentDate")]),
        modified=False,
        navs=(Navigation("salesInvoice", "salesInvoices", local="documentId"),),
    ),
    _set(
        "customerPayments",
        "customerPayment",
        _g("journalId"),
        _s("journalDisplayName", 10, read_only=True),
        Field("lineNumber", FieldType.INT),
        _g("customerId", selective=True),
        _s("customerNumber", 20),
        _date("postingDate"),
        _s("documentNumber", 20, selective=True),
        _s("externalDocumentNumber", 35),
        _d("amount", required=True),
        _g("appliesToInvoiceId", selective=True),
        _s("appliesToInvoiceNumber", 20),
        _s("description", 100),
        _s("comment", 250),
        navs=(_customer_nav(),),
    ),
    _set(
        "customerFinancialDetails",
        "customerFinancialDetail",
        _s("number", 20, read_only=True, selective=True),
        _d("balance", read_only=True),
        _d("totalSalesExcludingTax", read_only=True),
        _d("overdueAmount", read_only=True),
        modified=False,
        writable=False,
    ),
    _set(
        "projects",
        "project",
        _s("number", 20, selective=True),
        _s("displayName", 100),
        _g("customerId", selective=True),  # extension
        _s("customerNumber", 20),  # extension
        _g("quoteId", read_only=True, selective=True),  # extension
        _s("quoteNumber", 20, read_only=True),  # extension
        _choice("status", ("Planning", "Quote", "Open", "Completed")),  # extension
        _b("synchronizeToCrm"),  # extension: "Synchronize to Dynamics 365 Sales"
        navs=(
            Navigation("projectTasks", "projectTasks", remote="projectId", many=True),
            Navigation(
                "projectLedgerEntries", "projectLedgerEntries", remote="projectId", many=True
            ),
        ),
        defaults={"status": "Open", "synchronizeToCrm": False},
    ),
    _set(  # sandbox extension: archived versions of sales quotes
        "salesQuoteArchives",
        "salesQuoteArchive",
        _g("quoteId", read_only=True, selective=True),
        _s("quoteNumber", 20, read_only=True),
        Field("versionNumber", FieldType.INT, read_only=True),
        Field("archivedDateTime", FieldType.DATETIME, read_only=True),
        _g("customerId", read_only=True),
        _s("customerNumber", 20, read_only=True),
        _s("customerName", 100, read_only=True),
        _s("externalDocumentNumber", 35, read_only=True),
        _choice("status", QUOTE_STATUSES, read_only=True),
        _choice("approvalStatus", APPROVAL_STATUSES, read_only=True),
        _date("validUntilDate", read_only=True),
        _d("totalAmountExcludingTax", read_only=True),
        _d("totalAmountIncludingTax", read_only=True),
        writable=False,
    ),
)

TASK_TYPES = ("Posting", "Heading", "Begin-Total", "End-Total")
LEDGER_TYPES = ("Resource", "Item", "G/L Account")

PROJECT_SETS = (
    _set(  # sandbox extension: job tasks
        "projectTasks",
        "projectTask",
        _g("projectId", selective=True),
        _s("projectNumber", 20, read_only=True),
        _s("taskNumber", 20, required=True, selective=True),
        _s("description", 100),
        _choice("taskType", TASK_TYPES),
        Field("indentation", FieldType.INT, read_only=True),
        _s("parentTaskNumber", 20),
        _s("totaling", 250, read_only=True),
        _date("startDate"),
        _date("endDate"),
        _d("percentComplete"),
        navs=(Navigation("project", "projects", local="projectId"),),
        defaults={"taskType": "Posting", "percentComplete": 0.0},
    ),
    _set(  # sandbox extension: resources
        "resources",
        "resource",
        _s("number", 20, selective=True),
        _s("displayName", 100, required=True),
        _choice("type", ("Person", "Machine")),
        _s("baseUnitOfMeasure", 10),
        _d("unitCost"),
        _d("unitPrice"),
        _b("blocked"),
        defaults={
            "type": "Person",
            "baseUnitOfMeasure": "HOUR",
            "unitCost": 0.0,
            "unitPrice": 0.0,
            "blocked": False,
        },
    ),
    _set(
        "employees",
        "employee",
        _s("number", 20, selective=True),
        _s("displayName", 100, read_only=True),
        _s("givenName", 30, required=True),
        _s("surname", 30),
        _s("jobTitle", 30),
        _s("email", 80, selective=True),
        _choice("status", ("Active", "Inactive")),
        defaults={"status": "Active"},
    ),
    _set(  # sandbox extension: posted project usage, read-only
        "projectLedgerEntries",
        "projectLedgerEntry",
        Field("entryNumber", FieldType.INT, read_only=True),
        _g("projectId", read_only=True, selective=True),
        _s("projectNumber", 20, read_only=True),
        _s("taskNumber", 20, read_only=True),
        _choice("type", LEDGER_TYPES, read_only=True),
        _s("number", 20, read_only=True),
        _s("description", 100, read_only=True),
        _d("quantity", read_only=True),
        _d("unitCost", read_only=True),
        _d("totalCost", read_only=True),
        _d("unitPrice", read_only=True),
        _d("totalPrice", read_only=True),
        _date("postingDate", read_only=True),
        _s("documentNumber", 20, read_only=True),
        writable=False,
    ),
)

COMPANIES = _set(
    "companies",
    "company",
    _s("systemVersion", 30, read_only=True),
    Field("timestamp", FieldType.BIGINT, read_only=True),
    _s("name", 30, read_only=True),
    _s("displayName", 250, read_only=True),
    _s("businessProfileId", 250, read_only=True),
    Field("systemCreatedAt", FieldType.DATETIME, read_only=True),
    _g("systemCreatedBy", read_only=True),
    Field("systemModifiedAt", FieldType.DATETIME, read_only=True),
    _g("systemModifiedBy", read_only=True),
    modified=False,
    writable=False,
)

CATALOGUE = Catalogue([COMPANIES, *SETS, *PROJECT_SETS])
COMPANY_SETS = {entity_set.name: entity_set for entity_set in (*SETS, *PROJECT_SETS)}
# Alternative entity set names for salespeople, as found in the reference.
ALIASES = {"salespersonPurchasers": "salespeople", "salespeoplePurchasers": "salespeople"}
LINES = {
    "salesQuoteLines": "salesQuotes",
    "salesOrderLines": "salesOrders",
    "salesInvoiceLines": "salesInvoices",
}
DOCUMENTS = {parent: lines for lines, parent in LINES.items()}
