"""Per-account figures that connectors compute in bulk, a constant number of requests per call.

`crm_statistics` (CRM side) counts open opportunities, quotes and cases per account;
`customer_statistics` (ERP side) reads balance, sales and overdue amounts per customer. Both
take many ids at once, so a GraphQL page of accounts costs the same few requests as one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable


@dataclass(frozen=True, slots=True)
class CrmAccountStatistics:
    opportunities: int = 0
    quotes: int = 0
    cases: int = 0


@dataclass(frozen=True, slots=True)
class ErpCustomerStatistics:
    balance: float = 0.0
    total_sales: float = 0.0
    overdue_amount: float = 0.0
    currency_code: str | None = None


@runtime_checkable
class CrmStatisticsSource(Protocol):
    async def crm_statistics(self, account_ids: Sequence[str]) -> dict[str, CrmAccountStatistics]:
        """Figures for every requested id (zeros when an account has no open records)."""
        ...


@runtime_checkable
class CustomerStatisticsSource(Protocol):
    async def customer_statistics(
        self, customer_ids: Sequence[str]
    ) -> dict[str, ErpCustomerStatistics]:
        """Figures for every id that names an existing customer."""
        ...
