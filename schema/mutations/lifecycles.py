"""Lifecycle mutations (integrator): quotes, transfer to project, orders and invoices across
both systems. Each runs a recorded workflow (`gateway.workflows`): it checks the states on
both sides first (INVALID_TRANSITION names them; nothing changes then), and answers the
documents acted on with the workflow instance. The same call repeated answers the same
instance and creates nothing twice."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import strawberry

from gateway.auth.roles import Role
from gateway.refusals import RefusalError
from gateway.workflows.engine import Engine, Outcome
from gateway.workflows.registry import DEFINITIONS
from schema.context import Info
from schema.errors import UserError, user_errors
from schema.inputs import side_record_id
from schema.permissions import requires
from schema.types import documents_payloads as payloads
from schema.types.documents_orders import Invoice, SalesOrder
from schema.types.documents_projects import Project
from schema.types.documents_quotes import Quote
from schema.types.lifecycles import LifecycleDocument, WorkflowInstance

log = logging.getLogger(__name__)
P = TypeVar("P")


@strawberry.input(description="A quote, by its CRM id or by the id of its coupled ERP quote.")
class QuoteInput:
    crm_quote_id: strawberry.ID | None = None
    erp_quote_id: strawberry.ID | None = None


@strawberry.input
class SubmitQuoteInput(QuoteInput):
    pass


@strawberry.input
class ApproveQuoteInput(QuoteInput):
    pass


@strawberry.input
class RejectQuoteInput(QuoteInput):
    pass


@strawberry.input
class ActivateQuoteInput(QuoteInput):
    pass


@strawberry.input
class ProcessQuoteInput(QuoteInput):
    pass


@strawberry.input
class MarkQuoteWonInput(QuoteInput):
    pass


@strawberry.input
class MarkQuoteLostInput(QuoteInput):
    pass


@strawberry.input
class ReviseQuoteInput(QuoteInput):
    pass


@strawberry.input
class TransferQuoteToProjectInput(QuoteInput):
    synchronize_to_crm: bool = strawberry.field(
        default=False, description="Also create the project in the CRM and keep it in step."
    )


@strawberry.input
class CreateSalesOrderInErpInput:
    crm_order_id: strawberry.ID


@strawberry.input
class CreateInvoiceInCrmInput:
    erp_invoice_id: strawberry.ID


@strawberry.type
class QuotePayload:
    crm_quote: LifecycleDocument | None = strawberry.field(
        description="The CRM quote acted on; after reviseQuote, the new revision."
    )
    erp_quote: LifecycleDocument | None
    workflow_instance: WorkflowInstance | None
    user_errors: list[UserError]

    @strawberry.field(description="The quote as both systems hold it now.")
    async def quote(self, info: Info) -> Quote | None:
        return await payloads.quote_of(info, self.crm_quote, self.erp_quote)


@strawberry.type
class SubmitQuotePayload(QuotePayload):
    pass


@strawberry.type
class ApproveQuotePayload(QuotePayload):
    pass


@strawberry.type
class RejectQuotePayload(QuotePayload):
    pass


@strawberry.type
class ActivateQuotePayload(QuotePayload):
    pass


@strawberry.type
class ProcessQuotePayload(QuotePayload):
    pass


@strawberry.type
class MarkQuoteWonPayload(QuotePayload):
    pass


@strawberry.type
class MarkQuoteLostPayload(QuotePayload):
    pass


@strawberry.type
class ReviseQuotePayload(QuotePayload):
    pass


@strawberry.type
class TransferQuoteToProjectPayload(QuotePayload):
    erp_project: LifecycleDocument | None
    crm_project: LifecycleDocument | None

    @strawberry.field(description="The project as both systems hold it now.")
    async def project(self, info: Info) -> Project | None:
        return await payloads.project_of(info, self.erp_project, self.crm_project)


@strawberry.type
class CreateSalesOrderInErpPayload:
    crm_order: LifecycleDocument | None
    erp_order: LifecycleDocument | None
    workflow_instance: WorkflowInstance | None
    user_errors: list[UserError]

    @strawberry.field(description="The sales order as both systems hold it now.")
    async def sales_order(self, info: Info) -> SalesOrder | None:
        return await payloads.sales_order_of(info, self.crm_order, self.erp_order)


@strawberry.type
class CreateInvoiceInCrmPayload:
    erp_invoice: LifecycleDocument | None
    crm_invoice: LifecycleDocument | None
    crm_order: LifecycleDocument | None
    workflow_instance: WorkflowInstance | None
    user_errors: list[UserError]

    @strawberry.field(description="The invoice as both systems hold it now.")
    async def invoice(self, info: Info) -> Invoice | None:
        return await payloads.invoice_of(info, self.erp_invoice, self.crm_invoice)

    @strawberry.field(description="Its sales order as both systems hold it now.")
    async def sales_order(self, info: Info) -> SalesOrder | None:
        return await payloads.sales_order_of(info, self.crm_order)


def _actor(info: Info) -> str:
    caller = info.context.caller
    return caller.name if caller is not None else "(anonymous)"


def _quote_input(info: Info, input: QuoteInput) -> dict[str, Any]:
    return {
        "crmQuoteId": side_record_id(info, "crm", input.crm_quote_id, "crmQuoteId"),
        "erpQuoteId": side_record_id(info, "erp", input.erp_quote_id, "erpQuoteId"),
    }


async def _start(info: Info, operation: str, data: dict[str, Any]) -> Outcome:
    engine = Engine(info.context.services, actor=_actor(info))
    return await engine.start(DEFINITIONS[operation], data)


def _errors(outcome: Outcome) -> list[UserError]:
    return user_errors(outcome.refusal) if outcome.refusal is not None else []


def _instance(outcome: Outcome) -> WorkflowInstance | None:
    if outcome.instance is None:
        return None
    return WorkflowInstance.from_instance(outcome.instance)


def _doc(outcome: Outcome, name: str) -> LifecycleDocument | None:
    return LifecycleDocument.of(outcome.documents.get(name))


_QUOTE_DOCUMENTS = {"crm_quote": "crmQuote", "erp_quote": "erpQuote"}


async def _act(
    info: Info,
    operation: str,
    payload: Callable[..., P],
    data: Callable[[], dict[str, Any]],
    documents: Mapping[str, str],
) -> P:
    """Run the operation's workflow and answer its payload: each field of `documents` (payload
    field -> workflow document) with what was acted on, or the refusal and no documents."""
    try:
        outcome = await _start(info, operation, data())
    except RefusalError as refused:
        empty = dict.fromkeys(documents)
        return payload(**empty, workflow_instance=None, user_errors=user_errors(refused))
    found = {field: _doc(outcome, name) for field, name in documents.items()}
    return payload(**found, workflow_instance=_instance(outcome), user_errors=_errors(outcome))


async def _quote(info: Info, operation: str, input: QuoteInput, payload: Callable[..., P]) -> P:
    return await _act(info, operation, payload, lambda: _quote_input(info, input), _QUOTE_DOCUMENTS)


_QUOTE = requires(Role.INTEGRATOR)


@strawberry.type
class LifecycleMutation:
    @strawberry.mutation(
        permission_classes=_QUOTE,
        description="Submit a CRM quote to the ERP: it becomes Submitted (read-only in the CRM "
        "until the ERP approves or rejects it) and the ERP quote is created with its lines and "
        "coupled, or, for a quote the ERP has, its previous version is archived and it is "
        "updated.",
    )
    async def submit_quote(self, info: Info, input: SubmitQuoteInput) -> SubmitQuotePayload:
        return await _quote(info, "submitQuote", input, SubmitQuotePayload)

    @strawberry.mutation(
        permission_classes=_QUOTE,
        description="Approve a submitted quote in the ERP; the CRM quote becomes Approved in ERP.",
    )
    async def approve_quote(self, info: Info, input: ApproveQuoteInput) -> ApproveQuotePayload:
        return await _quote(info, "approveQuote", input, ApproveQuotePayload)

    @strawberry.mutation(
        permission_classes=_QUOTE,
        description="Reject a submitted quote in the ERP; the CRM quote becomes Rejected in ERP "
        "and editable again.",
    )
    async def reject_quote(self, info: Info, input: RejectQuoteInput) -> RejectQuotePayload:
        return await _quote(info, "rejectQuote", input, RejectQuotePayload)

    @strawberry.mutation(
        permission_classes=_QUOTE,
        description="Activate a CRM quote (approved in the ERP, or a draft not yet there). With "
        "automatic quote processing on, the background jobs then send it to the ERP.",
    )
    async def activate_quote(self, info: Info, input: ActivateQuoteInput) -> ActivateQuotePayload:
        result = await _quote(info, "activateQuote", input, ActivateQuotePayload)
        services = info.context.services
        if services.settings.auto_process_quotes and result.crm_quote is not None:
            await _enqueue(info, "process_quote", str(result.crm_quote.id))
        return result

    @strawberry.mutation(
        permission_classes=_QUOTE,
        description="Process an active CRM quote in the ERP (what automatic processing does): "
        "create it there, or archive the previous version before updating it.",
    )
    async def process_quote(self, info: Info, input: ProcessQuoteInput) -> ProcessQuotePayload:
        return await _quote(info, "processQuote", input, ProcessQuotePayload)

    @strawberry.mutation(
        permission_classes=_QUOTE,
        description="Mark an active quote Won in the CRM; the ERP quote is confirmed (Accepted). "
        "A quote never submitted is created in the ERP first.",
    )
    async def mark_quote_won(self, info: Info, input: MarkQuoteWonInput) -> MarkQuoteWonPayload:
        return await _quote(info, "markQuoteWon", input, MarkQuoteWonPayload)

    @strawberry.mutation(permission_classes=_QUOTE, description="Close an active quote as Lost.")
    async def mark_quote_lost(self, info: Info, input: MarkQuoteLostInput) -> MarkQuoteLostPayload:
        return await _quote(info, "markQuoteLost", input, MarkQuoteLostPayload)

    @strawberry.mutation(
        permission_classes=_QUOTE,
        description="Revise a quote: a new CRM revision (Draft); the ERP quote's previous version "
        "is archived before it is updated from the revision and coupled to it.",
    )
    async def revise_quote(self, info: Info, input: ReviseQuoteInput) -> ReviseQuotePayload:
        return await _quote(info, "reviseQuote", input, ReviseQuotePayload)

    @strawberry.mutation(
        permission_classes=_QUOTE,
        description="Transfer a won quote to an ERP project; with synchronizeToCrm the project "
        "also appears in the CRM, coupled through the PROJECT mapping.",
    )
    async def transfer_quote_to_project(
        self, info: Info, input: TransferQuoteToProjectInput
    ) -> TransferQuoteToProjectPayload:
        def data() -> dict[str, Any]:
            return {**_quote_input(info, input), "synchronizeToCrm": input.synchronize_to_crm}

        documents = {**_QUOTE_DOCUMENTS, "erp_project": "erpProject", "crm_project": "crmProject"}
        return await _act(
            info, "transferQuoteToProject", TransferQuoteToProjectPayload, data, documents
        )

    @strawberry.mutation(
        permission_classes=_QUOTE,
        description="Create a submitted CRM sales order in the ERP (Create in Business Central) "
        "with its lines, and couple the two.",
    )
    async def create_sales_order_in_erp(
        self, info: Info, input: CreateSalesOrderInErpInput
    ) -> CreateSalesOrderInErpPayload:
        return await _act(
            info,
            "createSalesOrderInErp",
            CreateSalesOrderInErpPayload,
            lambda: {"crmOrderId": side_record_id(info, "crm", input.crm_order_id, "crmOrderId")},
            {"crm_order": "crmOrder", "erp_order": "erpOrder"},
        )

    @strawberry.mutation(
        permission_classes=_QUOTE,
        description="Create a posted ERP invoice in the CRM as Billed and couple the two; its "
        "CRM order, if coupled, becomes Invoiced.",
    )
    async def create_invoice_in_crm(
        self, info: Info, input: CreateInvoiceInCrmInput
    ) -> CreateInvoiceInCrmPayload:
        return await _act(
            info,
            "createInvoiceInCrm",
            CreateInvoiceInCrmPayload,
            lambda: {
                "erpInvoiceId": side_record_id(info, "erp", input.erp_invoice_id, "erpInvoiceId")
            },
            {"erp_invoice": "erpInvoice", "crm_invoice": "crmInvoice", "crm_order": "crmOrder"},
        )


async def _enqueue(info: Info, job: str, *args: str) -> None:
    """Hand work to the background jobs by name; their periodic scan catches anything a
    lost enqueue misses."""
    try:
        await info.context.services.redis.enqueue_job(job, *args, _job_id=f"{job}:{args[0]}")
    except Exception:  # Redis down: the scan picks the document up later
        log.warning("could not enqueue %s for %s", job, args[0], exc_info=True)
