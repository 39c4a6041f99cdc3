"""The coupling service and listings with in-memory systems, for the edge cases the sandbox
cannot stage: a synchronization failing after coupling, lookups through any mapping, a
listing that must read several pages to fill one."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import pytest

from adapters.base import Operation, OperationResult, Record, Side
from adapters.business_central import BusinessCentralConnector
from adapters.errors import ConflictError, ConnectorError, RetriableError
from adapters.filters import Contains, Or
from adapters.memory import MemoryConnector
from adapters.tryton import TrytonConnector
from gateway.couplings.listing import Listing, Source
from gateway.couplings.service import CouplingService, SyncAfterCoupling
from gateway.couplings.views import (
    CustomerView,
    customer_search,
)
from gateway.mappings.defaults import business_central_defaults, by_key, row
from gateway.mappings.model import MappingDirection, TableMapping
from gateway.refusals import RefusalCode, RefusalError
from gateway.services import Services
from gateway.store.couplings import CoupledRecord


class FailingCrm(MemoryConnector):
    """A CRM whose writes fail: as a service that does not answer, or (with `conflict`) as a
    record changed since it was read."""

    conflict = False

    def _failure(self) -> ConnectorError:
        if self.conflict:
            return ConflictError("changed meanwhile", system=self.system, status=412)
        return RetriableError("update failed", system=self.system, status=503)

    async def update(
        self, entity: str, id: str, values: Mapping[str, Any], etag: str | None = None
    ) -> Record:
        raise self._failure()

    async def write_many(
        self, operations: Sequence[Operation], *, atomic: bool = False
    ) -> list[OperationResult]:
        return [OperationResult(operation, error=self._failure()) for operation in operations]


def guid() -> str:
    return str(uuid.uuid4())


@pytest.fixture
async def memory(services: Services) -> Services:
    services.erp = MemoryConnector("business_central", Side.ERP)
    services.crm = FailingCrm("dataverse", Side.CRM)
    await services.mappings.ensure_defaults(business_central_defaults())
    return services


def seed(connector: Any, entity: str, **values: Any) -> Record:
    (record,) = connector.seed(entity, [{"id": guid(), **values}])
    return record  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("conflict", "code", "says"),
    [
        (False, RefusalCode.UPSTREAM_UNAVAILABLE, "Dynamics 365 Sales did not answer (503)"),
        (True, RefusalCode.CONFLICT, "the record changed in Dynamics 365 Sales meanwhile"),
    ],
)
async def test_a_failed_synchronization_takes_the_coupling_back_and_restores_the_old(
    memory: Services, conflict: bool, code: RefusalCode, says: str
) -> None:
    assert isinstance(memory.crm, FailingCrm)
    memory.crm.conflict = conflict
    old = seed(memory.erp, "customer", number="C1", displayName="Old")
    new = seed(memory.erp, "customer", number="C2", displayName="New")
    account = seed(memory.crm, "account", name="Account", accountnumber="C1")
    service = CouplingService(memory, "tester")
    await service.couple("CUSTOMER", old.id, account.id)

    with pytest.raises(RefusalError) as refused:
        await service.couple("CUSTOMER", new.id, account.id, SyncAfterCoupling.USE_ERP_DATA)

    (problem,) = refused.value.problems
    assert problem.code is code
    assert says in problem.message
    coupled = await memory.couplings.by_crm_ids("CUSTOMER", [account.id])
    assert coupled[account.id].erp.id == old.id
    assert await memory.couplings.by_erp_ids("CUSTOMER", [new.id]) == {}


async def test_any_lookup_row_is_a_dependency_not_only_salespeople(memory: Services) -> None:
    mapping = TableMapping(
        name="PRICED",
        erp_entity="customer",
        crm_entity="account",
        direction=MappingDirection.TO_CRM,
        depends_on=("CURRENCY",),
        fields=(
            row("displayName", "name", MappingDirection.TO_CRM),
            row(
                "currencyCode",
                "_transactioncurrencyid_value",
                MappingDirection.TO_CRM,
                lookup=by_key("CURRENCY"),
            ),
        ),
    )
    await memory.db["table_mappings"].insert_one(mapping.to_doc())
    customer = seed(memory.erp, "customer", displayName="Pound", currencyCode="GBP")
    account = seed(memory.crm, "account", name="Pound")
    service = CouplingService(memory, "tester")

    with pytest.raises(RefusalError) as refused:
        await service.couple("PRICED", customer.id, account.id)
    (problem,) = refused.value.problems
    assert problem.code is RefusalCode.DEPENDENCY_NOT_COUPLED
    assert problem.field == ("erpId",)
    assert "currency code (GBP) is not coupled" in problem.message
    assert "couple CURRENCY first" in problem.message

    currency = CoupledRecord("business_central", "currency", guid(), key="GBP")
    crm_currency = CoupledRecord("dataverse", "currency", guid(), key="GBP")
    await memory.couplings.couple("CURRENCY", currency, crm_currency)
    outcome = await service.couple("PRICED", customer.id, account.id)
    assert outcome.created
    assert outcome.coupling.mapping == "PRICED"


async def walk(listing: Listing, size: int, **options: Any) -> list[str]:
    seen: list[str] = []
    after = None
    for _ in range(200):
        page = await listing.page(size=size, after=after, **options)
        assert len(page.rows) <= size
        seen += [row.record.id for row in page.rows]
        if not page.has_next:
            return seen
        after = page.end
    pytest.fail("the listing did not end")


@pytest.mark.parametrize("keyed", [True, False])
async def test_uncoupled_pages_are_filled_from_several_reads(memory: Services, keyed: bool) -> None:
    assert memory.crm is not None
    names = [f"Account {n:03d}" for n in range(120)]
    accounts = memory.crm.seed("account", [{"id": guid(), "name": name} for name in names])
    for index, account in enumerate(accounts):
        if index % 10:  # nine in ten are coupled
            erp = CoupledRecord("business_central", "customer", guid())
            crm = CoupledRecord("dataverse", "account", account.id)
            await memory.couplings.couple("CUSTOMER", erp, crm)
    # Keyed: in id order, resuming after a key; paged: in the connector's order, resuming
    # with its cursors (as for Tryton).
    listing = Listing(
        Source(memory.crm, "account", "id", keyed=keyed), memory.couplings, "CUSTOMER", "crm"
    )
    order = sorted(accounts, key=lambda r: r.id) if keyed else accounts
    uncoupled = [a.id for a in order if accounts.index(a) % 10 == 0]
    every = [a.id for a in order]

    assert await walk(listing, 5, coupled=False) == uncoupled
    assert await walk(listing, 7) == every
    assert await walk(listing, 1, coupled=False) == uncoupled
    coupled = await walk(listing, 200, coupled=True)
    assert sorted(coupled) == sorted(set(every) - set(uncoupled))
    sevens = await walk(listing, 4, coupled=True, matches=lambda r: r.values["name"].endswith("7"))
    assert sorted(sevens) == sorted(
        a.id for i, a in enumerate(accounts) if i % 10 and names[i].endswith("7")
    )


def test_customers_read_through_the_erps_field_table() -> None:
    tryton = Record(
        system="tryton",
        entity="customer",
        id="42",
        values={"code": "P42", "name": "Party", "email": "a@b.example", "phone": "", "city": None},
    )
    view = CustomerView.of(tryton, TrytonConnector.capabilities.customer_fields)
    assert (view.id, view.number, view.name, view.email, view.phone, view.city) == (
        "42",
        "P42",
        "Party",
        "a@b.example",
        None,
        None,
    )
    assert view.salesperson_code is None
    assert isinstance(customer_search(TrytonConnector.capabilities.customer_fields, "x"), Or)


@pytest.mark.parametrize(
    ("text", "field"),
    [("info@contoso.example", "email"), ("C00010", "number"), ("Contoso Ltd", "displayName")],
)
def test_business_central_searches_one_field_chosen_by_the_text(text: str, field: str) -> None:
    assert customer_search(BusinessCentralConnector.customer_fields, text) == Contains(field, text)
