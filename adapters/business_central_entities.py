"""The Business Central API v2.0 resources the gateway uses, declared as data.

Every resource lives under `companies(<id>)/`. Business Central returns all properties of
these (compact) resources, so reads do not `$select`. Change detection uses
`lastModifiedDateTime`; resources without it (document lines, customerFinancialDetail) can
only be read in full, or through their document. Lifecycle
actions are bound actions, `<set>(<id>)/Microsoft.NAV.<action>`, each answered 204 No
Content; `ACTIONS` says which resource an action creates, when the answer points at it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from adapters.base import Entity, EntitySpec

MODIFIED = "lastModifiedDateTime"


def resource(
    name: str,
    entity_set: str,
    fields: Sequence[str],
    *,
    modified: str | None = MODIFIED,
    lookups: Mapping[str, str] | None = None,
    read_only: bool = False,
) -> EntitySpec:
    return EntitySpec(
        name=name,
        native_name=entity_set,
        key_field="id",
        fields=frozenset(["id", *fields, *([modified] if modified else [])]),
        modified_field=modified,
        change_tracking=False,
        lookups=lookups or {},
        read_only=read_only,
    )


_ADDRESS = ["addressLine1", "addressLine2", "city", "state", "country", "postalCode"]
_DOCUMENT = [
    "number",
    "externalDocumentNumber",
    "customerId",
    "customerNumber",
    "customerName",
    "currencyId",
    "currencyCode",
    "salesperson",
    "discountAmount",
    "totalAmountExcludingTax",
    "totalTaxAmount",
    "totalAmountIncludingTax",
    "status",
    "phoneNumber",
    "email",
]
_LINE = [
    "documentId",
    "sequence",
    "itemId",
    "accountId",
    "lineType",
    "lineObjectNumber",
    "description",
    "unitOfMeasureId",
    "unitOfMeasureCode",
    "quantity",
    "unitPrice",
    "discountAmount",
    "discountPercent",
    "amountExcludingTax",
    "amountIncludingTax",
]
_DOCUMENT_LOOKUPS = {"customerId": Entity.CUSTOMER, "currencyId": Entity.CURRENCY}
_LINE_LOOKUPS = {"itemId": Entity.ITEM, "unitOfMeasureId": Entity.UNIT_OF_MEASURE}

RESOURCES: dict[str, EntitySpec] = {
    spec.name: spec
    for spec in (
        resource(
            Entity.CUSTOMER,
            "customers",
            [
                "number",
                "displayName",
                "type",
                *_ADDRESS,
                "phoneNumber",
                "email",
                "website",
                "salespersonCode",
                "balanceDue",
                "creditLimit",
                "taxLiable",
                "currencyId",
                "currencyCode",
                "paymentTermsId",
                "shipmentMethodId",
                "paymentMethodId",
                "blocked",
            ],
            lookups={"currencyId": Entity.CURRENCY},
        ),
        resource(
            Entity.CONTACT,
            "contacts",
            [
                "number",
                "type",
                "displayName",
                "companyNumber",
                "companyName",
                "contactBusinessRelation",
                *_ADDRESS,
                "phoneNumber",
                "mobilePhoneNumber",
                "email",
                "website",
                "privacyBlocked",
            ],
        ),
        resource(
            Entity.SALESPERSON,
            "salespeoplePurchasers",
            [
                "code",
                "displayName",
                "email",
                "email2",
                "phoneNo",
                "jobTitle",
                "commisionPercent",
                "privacyBlocked",
                "blocked",
            ],
        ),
        resource(
            Entity.CURRENCY,
            "currencies",
            ["code", "displayName", "symbol", "amountDecimalPlaces", "amountRoundingPrecision"],
        ),
        resource(
            Entity.UNIT_OF_MEASURE,
            "unitsOfMeasure",
            ["code", "displayName", "internationalStandardCode", "symbol"],
        ),
        resource(
            Entity.ITEM,
            "items",
            [
                "number",
                "displayName",
                "type",
                "itemCategoryId",
                "itemCategoryCode",
                "blocked",
                "gtin",
                "inventory",
                "unitPrice",
                "priceIncludesTax",
                "unitCost",
                "taxGroupId",
                "taxGroupCode",
                "baseUnitOfMeasureId",
                "baseUnitOfMeasureCode",
            ],
            lookups={"baseUnitOfMeasureId": Entity.UNIT_OF_MEASURE},
        ),
        resource(
            Entity.QUOTE,
            "salesQuotes",
            [
                *_DOCUMENT,
                "documentDate",
                "dueDate",
                "validUntilDate",
                "sentDate",
                "acceptedDate",
                # Extensions: the approval workflow, the archive and the project made from it.
                "approvalStatus",
                "archivedVersions",
                "projectId",
                "projectNumber",
            ],
            lookups={**_DOCUMENT_LOOKUPS, "projectId": Entity.PROJECT},
        ),
        resource(Entity.QUOTE_LINE, "salesQuoteLines", _LINE, modified=None, lookups=_LINE_LOOKUPS),
        resource(
            Entity.SALES_ORDER,
            "salesOrders",
            [
                *_DOCUMENT,
                "orderDate",
                "postingDate",
                "requestedDeliveryDate",
                "fullyShipped",
                "partialShipping",
            ],
            lookups=_DOCUMENT_LOOKUPS,
        ),
        resource(
            Entity.SALES_ORDER_LINE,
            "salesOrderLines",
            [*_LINE, "shipmentDate", "shippedQuantity", "invoicedQuantity"],
            modified=None,
            lookups=_LINE_LOOKUPS,
        ),
        resource(
            Entity.INVOICE,
            "salesInvoices",
            [
                *_DOCUMENT,
                "invoiceDate",
                "postingDate",
                "dueDate",
                "orderId",
                "orderNumber",
                "remainingAmount",
            ],
            lookups={**_DOCUMENT_LOOKUPS, "orderId": Entity.SALES_ORDER},
        ),
        resource(
            Entity.INVOICE_LINE,
            "salesInvoiceLines",
            [*_LINE, "shipmentDate"],
            modified=None,
            lookups=_LINE_LOOKUPS,
            read_only=True,
        ),
        resource(
            Entity.PAYMENT,
            "customerPayments",
            [
                "journalId",
                "journalDisplayName",
                "lineNumber",
                "customerId",
                "customerNumber",
                "postingDate",
                "documentNumber",
                "externalDocumentNumber",
                "amount",
                "appliesToInvoiceId",
                "appliesToInvoiceNumber",
                "description",
                "comment",
            ],
            lookups={"customerId": Entity.CUSTOMER, "appliesToInvoiceId": Entity.INVOICE},
        ),
        # customerId, quoteId, quoteNumber, status and synchronizeToCrm ("Synchronize to
        # Dynamics 365 Sales" on the Projects page) extend the standard resource.
        resource(
            Entity.PROJECT,
            "projects",
            [
                "number",
                "displayName",
                "customerId",
                "customerNumber",
                "quoteId",
                "quoteNumber",
                "status",
                "synchronizeToCrm",
            ],
            lookups={"customerId": Entity.CUSTOMER, "quoteId": Entity.QUOTE},
        ),
        resource(  # a sandbox extension; a tenant publishes it with an extension of its own
            Entity.CUSTOMER_PRICE_GROUP,
            "customerPriceGroups",
            ["code", "displayName", "allowInvoiceDiscount", "priceIncludesTax"],
        ),
        # Project accounting: sandbox extension pages (a real tenant publishes them with an
        # extension), see sandbox/README.md.
        resource(
            Entity.ACTIVITY,
            "projectTasks",
            [
                "projectId",
                "projectNumber",
                "taskNumber",
                "description",
                "taskType",
                "indentation",
                "parentTaskNumber",
                "totaling",
                "startDate",
                "endDate",
                "percentComplete",
            ],
            lookups={"projectId": Entity.PROJECT},
        ),
        *(
            resource(
                name,
                "resources",
                [
                    "number",
                    "displayName",
                    "type",
                    "baseUnitOfMeasure",
                    "unitCost",
                    "unitPrice",
                    "blocked",
                ],
            )
            for name in (Entity.WORKER, Entity.RESOURCE)
        ),
        resource(
            Entity.PROJECT_ACTUAL,
            "projectLedgerEntries",
            [
                "entryNumber",
                "projectId",
                "projectNumber",
                "taskNumber",
                "type",
                "number",
                "description",
                "quantity",
                "unitCost",
                "totalCost",
                "unitPrice",
                "totalPrice",
                "postingDate",
                "documentNumber",
            ],
            lookups={"projectId": Entity.PROJECT},
            read_only=True,
        ),
        resource(
            Entity.QUOTE_ARCHIVE,
            "salesQuoteArchives",
            [
                "quoteId",
                "quoteNumber",
                "versionNumber",
                "archivedDateTime",
                "status",
                "approvalStatus",
                "validUntilDate",
                "totalAmountExcludingTax",
                "totalAmountIncludingTax",
            ],
            modified=None,
            lookups={"quoteId": Entity.QUOTE},
            read_only=True,
        ),
        resource(
            Entity.CUSTOMER_STATISTICS,
            "customerFinancialDetails",
            ["number", "balance", "totalSalesExcludingTax", "overdueAmount"],
            modified=None,
            read_only=True,
        ),
    )
}

# Bound actions per resource; the value is the resource the action creates, if any.
ACTIONS: dict[str, dict[str, str | None]] = {
    Entity.QUOTE: {
        "makeOrder": Entity.SALES_ORDER,
        "makeInvoice": Entity.INVOICE,
        "send": None,
        # The approval workflow and quote archive of cross-system lifecycles (extensions).
        "approve": None,
        "reject": None,
        "reopen": None,
        "archive": None,
        "confirm": None,
        "makeProject": Entity.PROJECT,
    },
    Entity.SALES_ORDER: {"shipAndInvoice": Entity.INVOICE},
    Entity.INVOICE: {
        "post": None,
        "send": None,
        "postAndSend": None,
        "cancel": None,
        "cancelAndSend": None,
        "makeCorrectiveCreditMemo": None,
    },
}
