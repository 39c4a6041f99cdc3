"""The DataLoaders of one request: one batched call per cross-system hop, whatever the rows.

`Loaders` is created lazily on the request's `Context` (never shared between requests: a loader
caches what it read). Resolvers go through `load` / `load_required`, which turn a failing
system into one GraphQL error per system and hop (`extensions.code = UPSTREAM_UNAVAILABLE`,
`extensions.system`) instead of one per row: the other fields of the page still answer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from graphql import GraphQLError
from strawberry.dataloader import DataLoader

from adapters.errors import ConnectorError
from adapters.statistics import CrmAccountStatistics, ErpCustomerStatistics
from adapters.systems import system_label
from gateway.couplings.directory import Directory
from gateway.couplings.views import (
    CUSTOMER_MAPPING,
    AccountView,
    ContactView,
    CustomerView,
    UnknownErpError,
    UserView,
)
from gateway.services import NotConfiguredError, Services
from gateway.store.couplings import Coupling
from gateway.types import SideName

if TYPE_CHECKING:
    from schema.document_loaders import DocumentLoaders

V = TypeVar("V")
UPSTREAM_UNAVAILABLE = "UPSTREAM_UNAVAILABLE"
# What a hop can fail with: the system failed, is not configured, or is of an unknown kind.
HOP_ERRORS = (ConnectorError, NotConfiguredError, UnknownErpError)


@dataclass(frozen=True, slots=True)
class Hop:
    side: Literal["erp", "crm"]
    what: str  # e.g. "customers", "customer statistics"


ERP_CUSTOMERS = Hop("erp", "customers")
ERP_STATISTICS = Hop("erp", "customer statistics")
CRM_ACCOUNTS = Hop("crm", "accounts")
CRM_STATISTICS = Hop("crm", "account statistics")
CRM_USERS = Hop("crm", "users")
CRM_CONTACTS = Hop("crm", "contacts")


def _batch(
    fetch: Callable[[list[str]], Awaitable[Mapping[str, V]]],
) -> Callable[[list[str]], Awaitable[list[V | None]]]:
    async def load(keys: list[str]) -> list[V | None]:
        found = await fetch(keys)
        return [found.get(key) for key in keys]

    return load


K = TypeVar("K")


class Loader(DataLoader[K, V]):
    """strawberry's DataLoader, whose `load_many` awaits its keys' futures one after the other
    instead of through `asyncio.gather`: one batch settles them all at once, so once the first
    is awaited the others are done, without the callback gather adds to each future and runs
    through the event loop (a page's hops load hundreds of keys)."""

    def load_many(self, keys: Iterable[K]) -> Awaitable[list[V]]:
        return _each([self.load(key) for key in keys])  # the keys join the batch now


async def _each(futures: list[Awaitable[V]]) -> list[V]:
    try:
        return [await future for future in futures]
    except BaseException:
        for future in futures:
            if isinstance(future, asyncio.Future) and future.done() and not future.cancelled():
                future.exception()  # seen, as gather marks them: no "never retrieved" warning
        raise


class Loaders:
    def __init__(self, services: Services) -> None:
        directory = Directory(services)
        self.directory = directory
        self.accounts: DataLoader[str, AccountView | None] = Loader(_batch(directory.accounts))
        self.customers: DataLoader[str, CustomerView | None] = Loader(_batch(directory.customers))
        self.users: DataLoader[str, UserView | None] = Loader(_batch(directory.users))
        self.contacts: DataLoader[str, list[ContactView] | None] = Loader(
            _batch(directory.contacts_of)
        )
        self.contacts_by_id: DataLoader[str, ContactView | None] = Loader(
            _batch(directory.contacts)
        )
        self.couplings_by_id: DataLoader[str, Coupling | None] = Loader(
            _batch(services.couplings.get_many)
        )
        self.customer_statistics: DataLoader[str, ErpCustomerStatistics | None] = Loader(
            _batch(directory.customer_statistics)
        )
        self.crm_statistics: DataLoader[str, CrmAccountStatistics | None] = Loader(
            _batch(directory.crm_statistics)
        )
        self._couplings: dict[tuple[str, SideName], DataLoader[str, Coupling | None]] = {}
        self._reported: set[Hop] = set()

    def couplings(self, mapping: str, side: SideName) -> DataLoader[str, Coupling | None]:
        """Couplings of one mapping by one side's record id (one MongoDB query per batch)."""
        loader = self._couplings.get((mapping, side))
        if loader is None:
            repository = self.directory.services.couplings

            async def fetch(ids: list[str]) -> Mapping[str, Coupling]:
                return await repository.by_ids(mapping, side, ids)

            loader = self._couplings[(mapping, side)] = Loader(_batch(fetch))
        return loader

    @property
    def account_couplings(self) -> DataLoader[str, Coupling | None]:
        return self.couplings(CUSTOMER_MAPPING, "crm")

    @property
    def customer_couplings(self) -> DataLoader[str, Coupling | None]:
        return self.couplings(CUSTOMER_MAPPING, "erp")

    def prime_couplings(self, side: SideName, found: Mapping[str, Coupling | None]) -> None:
        """What a listing already read: later hops of the request find it in the cache."""
        self.couplings(CUSTOMER_MAPPING, side).prime_many(dict(found))

    def system_of(self, hop: Hop) -> str:
        directory = self.directory
        return directory.erp_system() if hop.side == "erp" else directory.crm_system()

    def hop_error(self, hop: Hop, error: Exception) -> GraphQLError:
        system = self.system_of(hop)
        if isinstance(error, ConnectorError):
            status = f" ({error.status})" if error.status else ""
            reason = f"did not answer{status}"
        else:
            reason = str(error)
        side = "ERP" if hop.side == "erp" else "CRM"
        return GraphQLError(
            f"{system_label(system)} ({side}): {reason}; the {hop.what} are missing from this "
            "answer (their fields are null)",
            extensions={"code": UPSTREAM_UNAVAILABLE, "system": system, "side": hop.side},
        )

    def report(self, hop: Hop, error: Exception) -> None:
        """Raise the hop's error the first time it fails in this request; stay silent after."""
        if hop in self._reported:
            return
        self._reported.add(hop)
        raise self.hop_error(hop, error) from None

    def first_report(self, hop: Hop) -> bool:
        """Whether this is the first failure of `hop` in this request (reported from now on)."""
        if hop in self._reported:
            return False
        self._reported.add(hop)
        return True

    @cached_property
    def documents(self) -> DocumentLoaders:
        """The loaders of quotes, orders, invoices, projects and items (made on first use)."""
        from schema.document_loaders import DocumentLoaders

        return DocumentLoaders(self)


async def load(loaders: Loaders, loader: DataLoader[str, V | None], key: str, hop: Hop) -> V | None:
    """For a nullable field: the value, or None (and one error per hop) if the system failed."""
    try:
        return await loader.load(key)
    except HOP_ERRORS as exc:
        loaders.report(hop, exc)
        return None


async def load_required(
    loaders: Loaders, loader: DataLoader[str, V | None], key: str, hop: Hop
) -> V | None:
    """For a non-null field: a failing system raises (GraphQL nulls the nearest nullable
    parent, and reports the error there once)."""
    try:
        return await loader.load(key)
    except HOP_ERRORS as exc:
        raise loaders.hop_error(hop, exc) from None


async def load_many_required(
    loaders: Loaders, loader: DataLoader[str, V | None], keys: list[str], hop: Hop
) -> list[V | None]:
    """Many keys in one batch (for `node` lookups); a failing system raises."""
    try:
        return await loader.load_many(keys)
    except HOP_ERRORS as exc:
        raise loaders.hop_error(hop, exc) from None


async def gather_hops(jobs: Mapping[str, Awaitable[list[Any]]]) -> dict[str, list[Any]]:
    """Run several hops' batched loads at once. A hop whose system failed is left out: its
    resolvers then load it again from the loaders' cache and report the failure once."""
    results = await asyncio.gather(*jobs.values(), return_exceptions=True)
    found: dict[str, list[Any]] = {}
    for name, result in zip(jobs, results, strict=True):
        if isinstance(result, HOP_ERRORS):
            continue
        if isinstance(result, BaseException):
            raise result
        found[name] = result
    return found
