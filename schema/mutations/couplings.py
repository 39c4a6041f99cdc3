"""`couple`, `uncouple`, `createCustomerFromAccount`, `createAccountFromCustomer` (integrator).

Each answers a payload with what it acted on and `userErrors`; a refused call wrote nothing.
"""

from __future__ import annotations

from dataclasses import replace

import strawberry

from adapters.base import Record
from gateway.auth.roles import Role
from gateway.couplings.service import CounterpartOutcome, CoupleOutcome, CouplingService
from gateway.couplings.service import SyncAfterCoupling as CoreSyncAfterCoupling
from gateway.couplings.views import AccountView, CustomerView, customer_fields
from gateway.refusals import RefusalError
from gateway.store.couplings import Coupling as StoredCoupling
from gateway.store.couplings import CouplingState
from schema.context import Info
from schema.errors import UserError, user_errors
from schema.permissions import requires
from schema.types.accounts import Account
from schema.types.couplings import Coupling
from schema.types.customers import Customer
from schema.types.enums import SyncAfterCoupling

ANONYMOUS = "(anonymous)"


def actor(info: Info) -> str:
    caller = info.context.caller
    return caller.name if caller is not None else ANONYMOUS


def describe(coupling: StoredCoupling) -> str:
    return f"ERP {coupling.erp.id} ↔ CRM {coupling.crm.id}"


def replaced_message(replaced: list[StoredCoupling]) -> str:
    if not replaced:
        return ""
    earlier = "; ".join(describe(c) for c in replaced)
    plural = "s" if len(replaced) > 1 else ""
    return f" Replaced {len(replaced)} earlier coupling{plural}: {earlier}."


def customer_of(info: Info, record: Record, coupling: StoredCoupling) -> Customer:
    erp = info.context.services.erp
    assert erp is not None  # the record was just read from it
    return Customer.of(CustomerView.of(record, customer_fields(erp)), coupling)


@strawberry.input(description="Couple an ERP record and a CRM record through a table mapping.")
class CoupleInput:
    mapping: str = strawberry.field(description="The table mapping, e.g. CUSTOMER.")
    erp_id: strawberry.ID
    crm_id: strawberry.ID
    sync_after_coupling: SyncAfterCoupling = strawberry.field(
        default=SyncAfterCoupling.NONE,
        description="Overwrite one record with the other's mapped fields right after coupling.",
    )


@strawberry.type
class CouplePayload:
    coupling: Coupling | None
    replaced_couplings: list[Coupling] = strawberry.field(
        description="Couplings removed because one of the two records was coupled elsewhere."
    )
    synchronized: bool = strawberry.field(description="Whether data was synchronized.")
    changed_fields: list[str] = strawberry.field(
        description="The fields the synchronization wrote (none when both already agreed)."
    )
    message: str | None
    user_errors: list[UserError]


@strawberry.input(description="Remove a coupling, named by either of its records (or both).")
class UncoupleInput:
    mapping: str
    erp_id: strawberry.ID | None = None
    crm_id: strawberry.ID | None = None


@strawberry.type
class UncouplePayload:
    coupling: Coupling | None = strawberry.field(description="The coupling that was removed.")
    user_errors: list[UserError]


@strawberry.input(description="Create an ERP customer from a CRM account, and couple them.")
class CreateCustomerFromAccountInput:
    crm_id: strawberry.ID


@strawberry.type
class CreateCustomerFromAccountPayload:
    customer: Customer | None = strawberry.field(description="The customer just created.")
    account: Account | None
    coupling: Coupling | None
    replaced_couplings: list[Coupling]
    message: str | None
    user_errors: list[UserError]


@strawberry.input(description="Create a CRM account from an ERP customer, and couple them.")
class CreateAccountFromCustomerInput:
    erp_id: strawberry.ID


@strawberry.type
class CreateAccountFromCustomerPayload:
    account: Account | None = strawberry.field(description="The account just created.")
    customer: Customer | None
    coupling: Coupling | None
    replaced_couplings: list[Coupling]
    message: str | None
    user_errors: list[UserError]


def couple_message(outcome: CoupleOutcome) -> str:
    coupling = outcome.coupling
    if outcome.created:
        text = f"Coupled {describe(coupling)} in {coupling.mapping}."
    else:
        text = f"{describe(coupling)} were already coupled in {coupling.mapping}; kept."
    text += replaced_message(outcome.replaced)
    synced = outcome.synchronized
    if synced is not None:
        direction = synced.coupling.last_direction or ""
        written = ", ".join(sorted(synced.changes)) or "nothing to change"
        text += f" Synchronized {direction}: {written}."
    return text


def counterpart_payload_parts(
    info: Info, outcome: CounterpartOutcome
) -> tuple[Customer, Account, Coupling, list[Coupling]]:
    coupling = outcome.coupling
    return (
        customer_of(info, outcome.erp_record, coupling),
        Account.of(AccountView.of(outcome.crm_record), coupling),
        Coupling.of(coupling),
        [Coupling.of(c) for c in outcome.replaced],
    )


@strawberry.type
class CouplingMutation:
    @strawberry.mutation(
        permission_classes=requires(Role.INTEGRATOR),
        description="Couple an ERP record and a CRM record. A record coupled to another one "
        "is re-coupled (the old coupling is replaced and listed). With syncAfterCoupling, the "
        "chosen side's data overwrites the other's; if that fails, the coupling is undone.",
    )
    async def couple(self, info: Info, input: CoupleInput) -> CouplePayload:
        service = CouplingService(info.context.services, actor(info))
        try:
            outcome = await service.couple(
                input.mapping,
                input.erp_id,
                input.crm_id,
                CoreSyncAfterCoupling(input.sync_after_coupling.value),
            )
        except RefusalError as refusal:
            return CouplePayload(
                coupling=None,
                replaced_couplings=[],
                synchronized=False,
                changed_fields=[],
                message=None,
                user_errors=user_errors(refusal),
            )
        synced = outcome.synchronized
        return CouplePayload(
            coupling=Coupling.of(outcome.coupling),
            replaced_couplings=[Coupling.of(c) for c in outcome.replaced],
            synchronized=synced is not None,
            changed_fields=sorted(synced.changes) if synced is not None else [],
            message=couple_message(outcome),
            user_errors=[],
        )

    @strawberry.mutation(
        permission_classes=requires(Role.INTEGRATOR),
        description="Remove the coupling of a record; both records stay as they are.",
    )
    async def uncouple(self, info: Info, input: UncoupleInput) -> UncouplePayload:
        service = CouplingService(info.context.services, actor(info))
        try:
            removed = await service.uncouple(input.mapping, input.erp_id, input.crm_id)
        except RefusalError as refusal:
            return UncouplePayload(coupling=None, user_errors=user_errors(refusal))
        gone = replace(removed, state=CouplingState.UNCOUPLED)
        return UncouplePayload(coupling=Coupling.of(gone), user_errors=[])

    @strawberry.mutation(
        permission_classes=requires(Role.INTEGRATOR),
        description="Create an ERP customer from a CRM account through the CUSTOMER mapping "
        "(fields and template) and couple the two; both happen or neither. An account that "
        "is coupled already is refused with ALREADY_COUPLED.",
    )
    async def create_customer_from_account(
        self, info: Info, input: CreateCustomerFromAccountInput
    ) -> CreateCustomerFromAccountPayload:
        service = CouplingService(info.context.services, actor(info))
        try:
            outcome = await service.create_customer_from_account(input.crm_id)
        except RefusalError as refusal:
            return CreateCustomerFromAccountPayload(
                customer=None,
                account=None,
                coupling=None,
                replaced_couplings=[],
                message=None,
                user_errors=user_errors(refusal),
            )
        customer, account, coupling, replaced = counterpart_payload_parts(info, outcome)
        return CreateCustomerFromAccountPayload(
            customer=customer,
            account=account,
            coupling=coupling,
            replaced_couplings=replaced,
            message=f"Created customer {customer.number or customer.erp_id} and coupled it."
            + replaced_message(outcome.replaced),
            user_errors=[],
        )

    @strawberry.mutation(
        permission_classes=requires(Role.INTEGRATOR),
        description="Create a CRM account from an ERP customer through the CUSTOMER mapping "
        "(fields and template) and couple the two; both happen or neither.",
    )
    async def create_account_from_customer(
        self, info: Info, input: CreateAccountFromCustomerInput
    ) -> CreateAccountFromCustomerPayload:
        service = CouplingService(info.context.services, actor(info))
        try:
            outcome = await service.create_account_from_customer(input.erp_id)
        except RefusalError as refusal:
            return CreateAccountFromCustomerPayload(
                account=None,
                customer=None,
                coupling=None,
                replaced_couplings=[],
                message=None,
                user_errors=user_errors(refusal),
            )
        customer, account, coupling, replaced = counterpart_payload_parts(info, outcome)
        return CreateAccountFromCustomerPayload(
            account=account,
            customer=customer,
            coupling=coupling,
            replaced_couplings=replaced,
            message=f"Created account {account.name!r} and coupled it. Synchronization "
            "completed." + replaced_message(outcome.replaced),
            user_errors=[],
        )
