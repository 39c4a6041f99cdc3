"""Reading accounts, customers and what hangs off them, many at a time.

Every method takes many ids and costs a fixed number of requests to one system, whatever the
number of ids (as long as they fit the connector's URL length): the GraphQL layer's
DataLoaders call these once per hop of a request. Ids a system cannot have (a malformed
GUID) are simply not found.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from adapters.base import Connector
from adapters.capabilities import CustomerFields
from adapters.statistics import (
    CrmAccountStatistics,
    CrmStatisticsSource,
    CustomerStatisticsSource,
    ErpCustomerStatistics,
)
from gateway.couplings.listing import Listing, source_for
from gateway.couplings.views import (
    ACCOUNT_ENTITY,
    CONTACT_ENTITY,
    CONTACT_PARENT_FIELD,
    CUSTOMER_ENTITY,
    CUSTOMER_MAPPING,
    USER_ENTITY,
    AccountView,
    ContactView,
    CustomerView,
    UserView,
    customer_fields,
)
from gateway.refusals import plain_errors
from gateway.services import NotConfiguredError, Services


@dataclass(frozen=True, slots=True)
class Directory:
    services: Services

    # ---- the systems ----------------------------------------------------------------------------

    def crm(self) -> Connector:
        if self.services.crm is None:
            raise NotConfiguredError("the CRM connection is not configured")
        return self.services.crm

    def erp(self) -> Connector:
        if self.services.erp is None:
            raise NotConfiguredError("the ERP connection is not configured")
        return self.services.erp

    def crm_system(self) -> str:
        return self.services.crm.system if self.services.crm is not None else "crm"

    def erp_system(self) -> str:
        return self.services.erp.system if self.services.erp is not None else "erp"

    def customer_fields(self) -> CustomerFields:
        return customer_fields(self.erp())

    def account_listing(self) -> Listing:
        return Listing(
            source_for(self.crm(), ACCOUNT_ENTITY), self.services.couplings, CUSTOMER_MAPPING, "crm"
        )

    def customer_listing(self) -> Listing:
        return Listing(
            source_for(self.erp(), CUSTOMER_ENTITY),
            self.services.couplings,
            CUSTOMER_MAPPING,
            "erp",
        )

    # ---- records by id --------------------------------------------------------------------------

    @plain_errors
    async def accounts(self, ids: Sequence[str]) -> dict[str, AccountView]:
        found = await self.crm().get_many(ACCOUNT_ENTITY, _unique(ids))
        return {key: AccountView.of(record) for key, record in found.items()}

    @plain_errors
    async def customers(self, ids: Sequence[str]) -> dict[str, CustomerView]:
        fields = self.customer_fields()
        found = await self.erp().get_many(CUSTOMER_ENTITY, _unique(ids))
        return {key: CustomerView.of(record, fields) for key, record in found.items()}

    @plain_errors
    async def users(self, ids: Sequence[str]) -> dict[str, UserView]:
        found = await self.crm().get_many(USER_ENTITY, _unique(ids))
        return {key: UserView.of(record) for key, record in found.items()}

    @plain_errors
    async def contacts(self, ids: Sequence[str]) -> dict[str, ContactView]:
        found = await self.crm().get_many(CONTACT_ENTITY, _unique(ids))
        return {key: ContactView.of(record) for key, record in found.items()}

    @plain_errors
    async def contacts_of(self, account_ids: Sequence[str]) -> dict[str, list[ContactView]]:
        """Every contact whose parent is one of the accounts, by account, sorted by name."""
        wanted = _unique(account_ids)
        by_account: dict[str, list[ContactView]] = {key: [] for key in wanted}
        lowered = {key.lower(): key for key in wanted}
        for record in await self.crm().get_where(CONTACT_ENTITY, CONTACT_PARENT_FIELD, wanted):
            contact = ContactView.of(record)
            parent = lowered.get((contact.account_id or "").lower())
            if parent is not None:
                by_account[parent].append(contact)
        for contacts in by_account.values():
            contacts.sort(key=lambda contact: (contact.full_name.casefold(), contact.id))
        return by_account

    # ---- figures --------------------------------------------------------------------------------

    @plain_errors
    async def customer_statistics(self, ids: Sequence[str]) -> dict[str, ErpCustomerStatistics]:
        erp = self.erp()
        if not isinstance(erp, CustomerStatisticsSource):
            return {}
        return await erp.customer_statistics(_unique(ids))

    @plain_errors
    async def crm_statistics(self, ids: Sequence[str]) -> dict[str, CrmAccountStatistics]:
        crm = self.crm()
        if not isinstance(crm, CrmStatisticsSource):
            return {}
        return await crm.crm_statistics(_unique(ids))


def _unique(ids: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(ids))
