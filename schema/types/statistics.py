"""The figures shown beside a coupled pair: the ERP's financial statistics of the customer
and the CRM's open pipeline of the account (the two FactBoxes of the seeds)."""

from __future__ import annotations

import strawberry

from adapters.statistics import CrmAccountStatistics, ErpCustomerStatistics


@strawberry.type(description="The ERP's financial figures of a customer.")
class CustomerStatistics:
    balance: float = strawberry.field(description="What the customer owes now.")
    total_sales: float = strawberry.field(description="Sales to the customer, excluding tax.")
    overdue_amount: float = strawberry.field(description="The part of the balance past due.")
    currency_code: str | None = strawberry.field(
        description="The customer's currency; null for the company's own currency."
    )

    @classmethod
    def of(cls, figures: ErpCustomerStatistics | None) -> CustomerStatistics:
        figures = figures or ErpCustomerStatistics()
        return cls(
            balance=figures.balance,
            total_sales=figures.total_sales,
            overdue_amount=figures.overdue_amount,
            currency_code=figures.currency_code,
        )


@strawberry.type(description="The CRM's open pipeline of an account.")
class CrmStatistics:
    open_opportunities: int
    open_quotes: int = strawberry.field(description="Quotes in draft or active.")
    open_cases: int

    @classmethod
    def of(cls, figures: CrmAccountStatistics | None) -> CrmStatistics:
        figures = figures or CrmAccountStatistics()
        return cls(
            open_opportunities=figures.opportunities,
            open_quotes=figures.quotes,
            open_cases=figures.cases,
        )
