"""Microsoft Project Server (Project Online / Subscription Edition) through its REST API.

- Reads (`get_many`, `query`, `changes`) use the reporting feed `_api/ProjectData/`, which
  shows what is published; `changes` follows each row's modified date.
- Writes of tasks, assignments and project headers go through each project's draft, one
  check-out and one publish per project and batch (see `drafts.py`); projects are written
  concurrently. Resources are written directly (`EnterpriseResources`); deleting one
  deactivates it, as Project Server keeps resources that have history.
- Records name enterprise custom fields by display name (`ERP Actual Cost`).
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

from adapters.base import (
    ChangeBatch,
    Create,
    Delete,
    EntitySpec,
    Operation,
    OperationResult,
    Page,
    QueryResult,
    Record,
    Side,
    Update,
)
from adapters.capabilities import Capabilities, IdKind
from adapters.errors import ConnectorError, NotFoundError, ValidationError
from adapters.filters import Filter, In
from adapters.odata.client import ODataClient
from adapters.project_server.drafts import Item, ProjectDraft, derived_id, same, wire
from adapters.project_server.entities import PROJECT, RESOURCE, WRITABLE, specs
from adapters.project_server.reads import FeedReader
from adapters.project_server.session import Session
from adapters.systems import PROJECT_SERVER, system_label

API_PATH = "_api/"
# Projects written at the same time; each holds one check-out until its publish ends.
DEFAULT_PROJECT_CONCURRENCY = 4


class ProjectServerConnector:
    system = PROJECT_SERVER
    side = Side.PROJECT
    # The feed pages by $skip; tasks get ids derived from their ERP activity.
    capabilities = Capabilities(
        label=system_label(PROJECT_SERVER), id_kind=IdKind.GUID, max_ids_per_request=40
    )

    def __init__(
        self,
        client: ODataClient,
        *,
        custom_fields: Mapping[str, Sequence[str]] | None = None,
        project_concurrency: int = DEFAULT_PROJECT_CONCURRENCY,
        job_timeout: float = 300.0,
        owns_http: bool = False,
    ) -> None:
        self.client = client
        self.session = Session(client, job_timeout=job_timeout)
        self.reader = FeedReader(self.session, self.system)
        self._specs = specs(custom_fields)
        self._projects = asyncio.Semaphore(project_concurrency)
        self._owns_http = owns_http

    def entities(self) -> Mapping[str, EntitySpec]:
        return self._specs

    def spec(self, entity: str) -> EntitySpec:
        found = self._specs.get(entity)
        if found is None:
            raise ValidationError(
                f"unknown entity {entity!r}; known: {', '.join(sorted(self._specs))}",
                system=self.system,
            )
        return found

    # ---- reads ----------------------------------------------------------------------------

    async def get_many(
        self, entity: str, ids: Sequence[str], *, fields: Sequence[str] | None = None
    ) -> dict[str, Record]:
        self.spec(entity)
        found = await self.reader.by_ids(entity, ids)
        return {i: found[i.lower()] for i in ids if i.lower() in found}

    async def get_where(
        self,
        entity: str,
        field: str,
        values: Sequence[Any],
        *,
        fields: Sequence[str] | None = None,
    ) -> list[Record]:
        self.spec(entity)
        wanted = list(dict.fromkeys(v for v in values if v not in (None, "")))
        found: list[Record] = []
        size = self.capabilities.max_ids_per_request
        for start in range(0, len(wanted), size):
            chunk = tuple(wanted[start : start + size])
            found += await self.reader.every(entity, In(field, chunk))
        return found

    async def get(self, entity: str, id: str) -> Record:
        found = await self.get_many(entity, [id])
        if id not in found:
            raise NotFoundError(f"{entity} {id} is not published", system=self.system)
        return found[id]

    async def query(
        self,
        entity: str,
        filter: Filter | None = None,
        page: Page | None = None,
        *,
        fields: Sequence[str] | None = None,
        order_by: Sequence[str] | None = None,
        count: bool = False,
    ) -> QueryResult:
        self.spec(entity)
        page = page or Page()
        skip = int(page.cursor) if page.cursor and page.cursor.isdigit() else 0
        records, following = await self.reader.where(
            entity, filter, top=page.size, skip=skip, order_by=order_by or ()
        )
        more = following is not None or len(records) == page.size
        return QueryResult(records, str(skip + len(records)) if more and records else None)

    def changes(
        self, entity: str, token: str | None, *, page_size: int = 500
    ) -> AsyncIterator[ChangeBatch]:
        self.spec(entity)
        return self.reader.changes(entity, token)

    # ---- writes ---------------------------------------------------------------------------

    async def create(self, entity: str, values: Mapping[str, Any]) -> Record:
        return _single(await self.write_many([Create(entity, values)]))

    async def update(
        self, entity: str, id: str, values: Mapping[str, Any], etag: str | None = None
    ) -> Record:
        return _single(await self.write_many([Update(entity, id, values, etag)]))

    async def delete(self, entity: str, id: str, etag: str | None = None) -> None:
        _single(await self.write_many([Delete(entity, id, etag)]))

    async def transition(
        self, entity: str, id: str, action: str, params: Mapping[str, Any] | None = None
    ) -> Record | None:
        raise ValidationError(f"{entity} has no lifecycle actions", system=self.system)

    async def write_many(self, operations: Sequence[Operation]) -> list[OperationResult]:
        results: dict[int, OperationResult] = {}
        by_project: dict[str, list[Item]] = defaultdict(list)
        unplaced: list[Item] = []
        creations: list[tuple[int, Create]] = []
        resources: list[tuple[int, Operation]] = []
        for index, operation in enumerate(operations):
            try:
                self._check(operation)
            except ConnectorError as error:
                results[index] = OperationResult(operation, error=error)
                continue
            item = Item(index, operation)
            if operation.entity == RESOURCE:
                resources.append((index, operation))
            elif operation.entity == PROJECT and isinstance(operation, Create):
                creations.append((index, operation))
            elif operation.entity == PROJECT:
                by_project[operation.id.lower()].append(item)  # type: ignore[union-attr]
            elif isinstance(operation, Create | Update) and operation.values.get("ProjectId"):
                by_project[str(operation.values["ProjectId"]).lower()].append(item)
            else:
                unplaced.append(item)
        # Resources and new projects need no check-out: written concurrently, up to the
        # client's concurrency limit.
        written = await asyncio.gather(*(self._resource(op) for _, op in resources))
        results.update({index: r for (index, _), r in zip(resources, written, strict=True)})
        created = await asyncio.gather(*(self._create_project(op) for _, op in creations))
        for (index, _), (record, header) in zip(creations, created, strict=True):
            results[index] = record
            if header is not None and record.record is not None:
                by_project[record.record.id].append(Item(index, header))
        await self._place(unplaced, by_project, results)
        fields = await self.session.custom_fields() if by_project else {}

        async def write_project(project_id: str, items: list[Item]) -> None:
            async with self._projects:
                draft = ProjectDraft(self.session, project_id, fields, self.system)
                done = await draft.apply(items)
            for index, result in done.items():
                if index in results and results[index].ok and result.ok:
                    continue  # the project's own create already answered for it
                results[index] = result

        await asyncio.gather(*(write_project(p, items) for p, items in by_project.items()))
        return [results[index] for index in range(len(operations))]

    def _check(self, operation: Operation) -> None:
        spec = self.spec(operation.entity)
        if isinstance(operation, Delete):
            return
        allowed = WRITABLE[spec.name] | (spec.fields - spec.fields.intersection(_READ_ONLY))
        unknown = sorted(set(operation.values) - allowed)
        if unknown:
            raise ValidationError(
                f"{spec.name}: {', '.join(unknown)} cannot be written (writable: "
                f"{', '.join(sorted(allowed))})",
                system=self.system,
            )

    async def _place(
        self,
        items: list[Item],
        by_project: dict[str, list[Item]],
        results: dict[int, OperationResult],
    ) -> None:
        """Find the project of task and assignment writes that do not name it."""
        for entity in {i.operation.entity for i in items}:
            mine = [i for i in items if i.operation.entity == entity]
            found = await self.reader.by_ids(entity, [_key(i.operation) for i in mine])
            for item in mine:
                record = found.get(_key(item.operation).lower())
                if record is None:
                    results[item.index] = OperationResult(
                        item.operation,
                        error=NotFoundError(
                            f"{entity} {_key(item.operation)}: not found in any published "
                            "project (name its ProjectId)",
                            system=self.system,
                        ),
                    )
                else:
                    by_project[str(record.values["ProjectId"]).lower()].append(item)

    async def _create_project(self, operation: Create) -> tuple[OperationResult, Update | None]:
        values = operation.values
        project_id = str(
            values.get("Id")
            or (
                derived_id("project", str(values["ERP Project Number"]))
                if values.get("ERP Project Number")
                else derived_id("project", str(values.get("Name")))
            )
        ).lower()
        params = {n: wire(n, values[n]) for n in ("Name", "Description") if n in values}
        if "StartDate" in values:
            params["Start"] = wire("Start", values["StartDate"])
        doing = f"create project {values.get('Name')!r}"
        try:
            await self.session.write(
                "POST",
                "ProjectServer/Projects/Add",
                doing=doing,
                json={"parameters": {"Id": project_id, **params}},
            )
        except ValidationError as error:
            if "AlreadyExists" not in error.message:
                return OperationResult(operation, error=error), None
        # Custom field values are set in the draft; a project with none needs no check-out.
        custom = {k: v for k, v in values.items() if k not in WRITABLE[PROJECT]}
        header = Update(PROJECT, project_id, custom) if custom else None
        record = Record(self.system, PROJECT, project_id, {**values, "Id": project_id})
        return OperationResult(operation, record=record), header

    async def _resource(self, operation: Operation) -> OperationResult:
        try:
            return OperationResult(operation, record=await self._write_resource(operation))
        except ConnectorError as error:
            return OperationResult(operation, error=error)

    async def _write_resource(self, operation: Operation) -> Record:
        values: Mapping[str, Any] = (
            {"IsActive": False} if isinstance(operation, Delete) else operation.values
        )
        if isinstance(operation, Create):
            resource_id = str(
                values.get("Id")
                or derived_id("resource", str(values.get("Code") or values.get("Name")))
            ).lower()
            params = {
                n: values[n] for n in ("Name", "Code", "Email", "ResourceType") if n in values
            }
            if values.get("IsActive") is False:
                params["IsInactive"] = True
            try:
                await self.session.write(
                    "POST",
                    "ProjectServer/EnterpriseResources/Add",
                    doing=f"create resource {values.get('Name')!r}",
                    json={"parameters": {"Id": resource_id, **params}},
                )
                return Record(self.system, RESOURCE, resource_id, {**values, "Id": resource_id})
            except ValidationError as error:
                if "AlreadyExists" not in error.message:
                    raise
        else:
            resource_id = operation.id.lower()
        path = f"ProjectServer/EnterpriseResources('{resource_id}')"
        current = await self.session.get(path, doing=f"read resource {resource_id}")
        wanted = {n: values[n] for n in ("Name", "Code", "Email", "IsActive") if n in values}
        changes = {n: v for n, v in wanted.items() if not same(current.get(n), v)}
        if changes:
            await self.session.write(
                "PATCH",
                path,
                doing=f"update resource {resource_id}",
                json=changes,
                replay_safe=True,
            )
        return Record(self.system, RESOURCE, resource_id, {**current, **values, "Id": resource_id})

    async def aclose(self) -> None:
        if self._owns_http:
            await self.client.http.aclose()


_READ_ONLY = frozenset(
    {
        "OutlineLevel",
        "OutlinePosition",
        "Index",
        "IsSummary",
        "ActualCost",
        "ActualWork",
        "Cost",
        "FinishDate",
        "LastPublishedDate",
        "ModifiedDate",
    }
)


def _key(operation: Operation) -> str:
    return operation.id if isinstance(operation, Update | Delete) else ""


def _single(results: list[OperationResult]) -> Record:
    [result] = results
    if result.error is not None:
        raise result.error
    assert result.record is not None
    return result.record
