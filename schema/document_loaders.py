"""The DataLoaders of documents: one batched read per hop of a request, whatever the rows.

Made once per request on first use (`Loaders.documents`). Each loader calls the document graph
(`gateway.documents.graph`) for every key the request asked for at once. A system that fails
does not fail the fields around it: its side of the documents is null (or empty), the other
side still answers, and the failure becomes one `UPSTREAM_UNAVAILABLE` error per system and
hop, collected here and added to the response by `schema.extensions.partial_results`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from graphql import GraphQLError
from strawberry.dataloader import DataLoader

from adapters.base import Record
from adapters.documents import DocumentKind, ItemAvailability, Link
from adapters.systems import system_label
from gateway.couplings.views import CUSTOMER_MAPPING
from gateway.documents.graph import SYSTEM_ERRORS, DocumentGraph, Failure, Failures
from gateway.documents.kinds import KINDS
from gateway.documents.merged import Catalogues, Merged
from gateway.documents.plans import ProjectPlan, project_plans
from gateway.documents.reading import DocumentReader, documents_of
from gateway.documents.workflows import instances_acting_on
from gateway.types import SideName
from gateway.workflows.dialects import dialect_of
from gateway.workflows.instances import WorkflowInstance
from schema.context import Info
from schema.loaders import Hop, Loader, Loaders
from schema.selection import Tree, selected

K = TypeVar("K")
V = TypeVar("V")


@dataclass(frozen=True, slots=True)
class Found(Generic[V]):
    """A value read across systems, and what failed while reading it (shared by the batch)."""

    value: V
    failures: Sequence[Failure] = field(default_factory=tuple)


class DocumentLoaders:
    def __init__(self, loaders: Loaders) -> None:
        services = loaders.directory.services
        self.loaders = loaders
        self.services = services
        self.catalogues = Catalogues(
            documents_of(services.crm),
            documents_of(services.erp),
            dialect_of(services.erp.system if services.erp else ""),
        )
        self.graph = DocumentGraph(services, self.catalogues)
        self.reader = DocumentReader(services)
        # Errors of hops that left fields null or empty, added to the response's errors.
        self.errors: list[GraphQLError] = []
        self._loaders: dict[Hashable, DataLoader[Any, Any]] = {}
        self._selections: dict[tuple[str, ...], Tree] = {}

    def selected(self, info: Info) -> Tree:
        """What the query selects below the current field: the same for every row of a list,
        so it is worked out once per field of the query (its path without list indices)."""
        key = tuple(part for part in info.path.as_list() if isinstance(part, str))
        found = self._selections.get(key)
        if found is None:
            found = self._selections[key] = selected(info)
        return found

    # ---- errors -------------------------------------------------------------------------------

    def note(self, failures: Iterable[Failure], info: Info | None = None) -> None:
        """Report each failed hop once per request (the first field that met it is its path)."""
        for failure in failures:
            hop = Hop(failure.side, failure.what)
            if not self.loaders.first_report(hop):
                continue
            error = self.loaders.hop_error(hop, failure.error)
            if info is not None:
                error.path = info.path.as_list()
            self.errors.append(error)

    async def found(self, info: Info | None, pending: Awaitable[Found[V]]) -> V:
        result = await pending
        self.note(result.failures, info)
        return result.value

    async def found_many(self, info: Info | None, pending: Awaitable[list[Found[V]]]) -> list[V]:
        results = await pending
        for result in results:
            self.note(result.failures, info)
        return [result.value for result in results]

    async def attempt(
        self, info: Info | None, side: SideName, what: str, pending: Awaitable[V], default: V
    ) -> V:
        """A single-system read: its value, or `default` and the hop's error."""
        try:
            return await pending
        except SYSTEM_ERRORS as exc:
            self.note([Failure(side, what, exc)], info)
            return default

    def _loader(
        self,
        key: Hashable,
        batch: Callable[[list[K]], Awaitable[list[V]]],
        cache_key: Callable[[K], Hashable] | None = None,
    ) -> DataLoader[K, V]:
        loader = self._loaders.get(key)
        if loader is None:
            loader = self._loaders[key] = Loader(batch, cache_key_fn=cache_key)
        return loader

    # ---- documents ----------------------------------------------------------------------------

    def of_parties(
        self, kind: DocumentKind, side: SideName
    ) -> DataLoader[str, Found[list[Merged]]]:
        """The documents of CRM accounts ("crm") or ERP customers ("erp"), newest first."""

        async def batch(parties: list[str]) -> list[Found[list[Merged]]]:
            failures = Failures()
            # The page's couplings, read once for every kind (a listing has primed them).
            couplings = await self.loaders.couplings(CUSTOMER_MAPPING, side).load_many(parties)
            found = await self.graph.of_parties(
                kind,
                side,
                parties,
                failures,
                counterparts=dict(zip(parties, couplings, strict=True)),
            )
            return [Found(found.get(party, []), failures.found) for party in parties]

        return self._loader(("parties", kind, side), batch)

    def plans(self) -> DataLoader[str, ProjectPlan]:
        """ERP projects' plans in the project-management system, by the projects' ERP ids;
        a system that fails leaves them empty and reports once."""

        async def batch(erp_ids: list[str]) -> list[ProjectPlan]:
            try:
                found = await project_plans(self.services, erp_ids)
            except SYSTEM_ERRORS as exc:
                projects = self.services.projects
                label = system_label(projects.system) if projects is not None else "it"
                if self.loaders.first_report(Hop("crm", "project plans")):
                    self.errors.append(
                        GraphQLError(
                            f"{label} (project management): {exc}; the projects' tasks are "
                            "missing from this answer",
                            extensions={"code": "UPSTREAM_UNAVAILABLE", "system": label},
                        )
                    )
                return [ProjectPlan() for _ in erp_ids]
            return [found[erp_id] for erp_id in erp_ids]

        return self._loader(("plans",), batch)

    def by_id(self, kind: DocumentKind, side: SideName) -> DataLoader[str, Found[Merged | None]]:
        """Documents by the id of their record in `side` (None: no record, no coupling)."""

        async def batch(ids: list[str]) -> list[Found[Merged | None]]:
            failures = Failures()
            found = await self.graph.by_side_ids(kind, side, ids, failures)
            return [Found(found.get(key), failures.found) for key in ids]

        return self._loader(("by id", kind, side), batch)

    def numbered(self, kind: DocumentKind, side: SideName) -> DataLoader[str, Found[list[Merged]]]:
        """Documents by their number in `side`."""

        async def batch(numbers: list[str]) -> list[Found[list[Merged]]]:
            failures = Failures()
            fields = self.catalogues.fields(side, kind)
            if fields is None or fields.number is None:
                return [Found([]) for _ in numbers]
            found = await self.graph.by_values(kind, side, fields.number, numbers, failures)
            return [Found(found.get(number, []), failures.found) for number in numbers]

        return self._loader(("numbered", kind, side), batch)

    def linked(
        self,
        kind: DocumentKind,
        link: Callable[[SideName], Link | None],
        name: str,
    ) -> DataLoader[Merged, Found[list[Merged]]]:
        """Documents of `kind` whose `link` names a source document (`name` tells links apart)."""

        async def batch(sources: list[Merged]) -> list[Found[list[Merged]]]:
            failures = Failures()
            found = await self.graph.linked_to(kind, link, sources, failures)
            return [Found(found.get(source.key, []), failures.found) for source in sources]

        return self._loader(("linked", kind, name), batch, cache_key=lambda doc: doc.key)

    # ---- what hangs off them ------------------------------------------------------------------

    def lines(self, kind: DocumentKind, side: SideName) -> DataLoader[str, list[Mapping[str, Any]]]:
        async def batch(ids: list[str]) -> list[list[Mapping[str, Any]]]:
            found = await self.reader.lines(side, kind, ids)
            return [found.get(key, []) for key in ids]

        return self._loader(("lines", kind, side), batch)

    def archives(self, kind: DocumentKind) -> DataLoader[str, list[Mapping[str, Any]]]:
        async def batch(ids: list[str]) -> list[list[Mapping[str, Any]]]:
            found = await self.reader.archives(kind, ids)
            return [found.get(key, []) for key in ids]

        return self._loader(("archives", kind), batch)

    def records(self, side: SideName, entity: str) -> DataLoader[str, Record | None]:
        """Records documents refer to: products, units, currencies, users."""

        async def batch(ids: list[str]) -> list[Record | None]:
            found = await self.reader.records(side, entity, ids)
            return [found.get(key) for key in ids]

        return self._loader(("records", side, entity), batch)

    @property
    def availability(self) -> DataLoader[str, ItemAvailability | None]:
        async def batch(ids: list[str]) -> list[ItemAvailability | None]:
            found = await self.reader.availability(ids)
            return [found.get(key) for key in ids]

        return self._loader("availability", batch)

    def workflows(self, kind: DocumentKind) -> DataLoader[str, list[WorkflowInstance]]:
        async def batch(ids: list[str]) -> list[list[WorkflowInstance]]:
            found = await instances_acting_on(self.services.db, kind, ids)
            return [found.get(key, []) for key in ids]

        return self._loader(("workflows", kind), batch)

    def custom(
        self,
        name: str,
        batch: Callable[[list[K]], Awaitable[list[V]]],
        cache_key: Callable[[K], Hashable],
    ) -> DataLoader[K, V]:
        """A loader of the request made on first use, under `name`."""
        return self._loader(("custom", name), batch, cache_key)

    def plural(self, kind: DocumentKind) -> str:
        return KINDS[kind].plural
