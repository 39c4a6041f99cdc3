"""How much demo data to generate. Every size not given follows from `accounts`, so
`--accounts 100000` alone produces a proportionate data set of every kind."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

MAX_RECORDS = 5_000_000


class SeedPlanError(ValueError):
    """A seed setting is invalid; the message names it."""


@dataclass(frozen=True)
class SeedPlan:
    seed: int = 42
    accounts: int = 30  # Dataverse accounts
    customers: int | None = None  # Business Central customers (default: accounts)
    matched: int | None = None  # account/customer pairs with the same name and number
    users: int | None = None  # systemusers and their matching salespeople
    items: int | None = None  # items and their matching products
    contacts: int | None = None  # Dataverse contacts (and half as many in Business Central)
    opportunities: int | None = None
    quotes: int | None = None  # Dataverse quotes (and half as many sales quotes)
    orders: int | None = None  # sales orders (and half as many Dataverse orders)
    invoices: int | None = None  # posted sales invoices (and half as many Dataverse invoices)
    payments: int | None = None  # customer payments applied to posted invoices
    cases: int | None = None  # Dataverse incidents
    projects: int | None = None  # projects (and half as many Dataverse projects)
    resources: int | None = None  # resources (people) who post hours on projects

    @classmethod
    def demo(cls, size: int, seed: int) -> SeedPlan:
        return cls(seed=seed, accounts=size)

    @classmethod
    def from_json(cls, data: Any) -> SeedPlan:
        if not isinstance(data, dict):
            raise SeedPlanError("the body must be a JSON object")
        names = {f.name for f in fields(cls)}
        unknown = set(data) - names
        if unknown:
            raise SeedPlanError(
                f"unknown setting(s): {', '.join(sorted(unknown))}; "
                f"known: {', '.join(sorted(names))}"
            )
        for name, value in data.items():
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int):
                raise SeedPlanError(f"'{name}' must be an integer")
            if name != "seed" and not 0 <= value <= MAX_RECORDS:
                raise SeedPlanError(f"'{name}' must be between 0 and {MAX_RECORDS}")
        return cls(**data)

    def sizes(self) -> dict[str, int]:
        """Every size, with the defaults filled in."""
        n = self.accounts
        customers = n if self.customers is None else self.customers
        default = {
            "accounts": n,
            "customers": customers,
            "matched": int(min(n, customers) * 0.6),
            "users": max(3, min(50, n // 20)),
            "items": max(5, min(500, n // 10)),
            "contacts": n,
            "opportunities": n // 2,
            "quotes": n // 2,
            "orders": n // 4,
            "invoices": n // 2,
            "payments": n // 3,
            "cases": n // 4,
            "projects": n // 10,
            "resources": max(3, min(50, n // 10)),
        }
        given = {k: v for k, v in asdict(self).items() if k != "seed" and v is not None}
        sizes = {**default, **given}
        sizes["matched"] = min(sizes["matched"], sizes["accounts"], sizes["customers"])
        sizes["payments"] = min(sizes["payments"], sizes["invoices"])
        return sizes
