"""What every OData connector does the same way; subclasses say where tables live and how
their writes, batches and lifecycle actions look on the wire.

- `get_many` asks for many ids at once with an `or` chain of key comparisons, split so that
  each URL stays within `max_url_length` (see `ConnectorLimits`), the chunks read concurrently
  under the client's concurrency limit.
- `query` is one server-driven page; its cursor is the server's next link.
- `changes` (here) uses a last-modified watermark; Dataverse overrides it with change tracking.
- writes validate everything first, then send; `write_many` sends `$batch` requests.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

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
from adapters.capabilities import Capabilities, CustomerFields, IdKind
from adapters.concurrency import run_concurrently
from adapters.errors import ConnectorError, FatalError, NotFoundError, ValidationError
from adapters.filters import Compare, Filter, all_of
from adapters.odata.batch import BatchRequest, BatchResponse
from adapters.odata.client import ODataClient
from adapters.odata.errors import error_for_status
from adapters.odata.paging import fetch_page, iter_pages
from adapters.odata.query import (
    check_identifier,
    chunk_ids,
    is_guid,
    literal,
    parse_datetime,
    render_filter,
    render_order_by,
    with_query,
)
from adapters.odata.watermark import Watermark

log = logging.getLogger(__name__)

ENTITY_ID = re.compile(r"\(([0-9a-fA-F-]{36})\)\s*$")
MAX_PAGE_SIZE = 5000


@dataclass(frozen=True, slots=True)
class ConnectorLimits:
    """Sizes that keep requests within what the services accept.

    `max_url_length`: 2,048 characters per URL. IIS and HTTP.sys, which front Dataverse and many
    on-premises Business Central installations, limit query strings to 2,048 bytes by default,
    and proxies commonly cut longer URLs; a GUID clause costs ~57 encoded characters, so a
    chunk carries ~30 ids and 500 ids cost ~17 requests, sent concurrently.
    `batch_size`: operations per `$batch` (Dataverse allows 1,000, Business Central 100).
    """

    max_url_length: int = 2048
    max_ids_per_request: int = 200
    batch_size: int = 100


@dataclass(frozen=True, slots=True)
class PreparedWrite:
    operation: Operation
    spec: EntitySpec
    request: BatchRequest


# Encoded length of one `<lookup> eq <guid> or ` clause, and what the rest of a URL takes.
_CLAUSE_LENGTH = 75
_URL_OVERHEAD = 700


class ODataConnector:
    system: str
    side: Side
    label: str
    customer_fields: CustomerFields | None = None

    def __init__(
        self,
        client: ODataClient,
        specs: Mapping[str, EntitySpec],
        *,
        limits: ConnectorLimits | None = None,
        owns_http: bool = False,
    ) -> None:
        self.client = client
        self._specs = dict(specs)
        self.limits = limits or ConnectorLimits()
        self._owns_http = owns_http

    @property
    def capabilities(self) -> Capabilities:
        """GUID ids the caller may choose, pages in key order, and as many ids per request
        as the URL length allows."""
        per_request = (self.limits.max_url_length - _URL_OVERHEAD) // _CLAUSE_LENGTH
        return Capabilities(
            label=self.label,
            id_kind=IdKind.GUID,
            keyed_paging=True,
            caller_ids=True,
            max_ids_per_request=max(1, min(self.limits.max_ids_per_request, per_request)),
            customer_fields=self.customer_fields,
        )

    # ---- hooks ----------------------------------------------------------------------------------

    async def collection_url(self, spec: EntitySpec) -> str:
        """The absolute URL of the entity set of `spec`."""
        raise NotImplementedError

    def is_guid_field(self, spec: EntitySpec, name: str) -> bool:
        return name == spec.key_field

    def default_fields(self, spec: EntitySpec) -> list[str] | None:
        """Columns to `$select` when the caller names none (None: the server's default)."""
        return None

    def to_wire(
        self, spec: EntitySpec, values: Mapping[str, Any], *, creating: bool
    ) -> dict[str, Any]:
        """The request body for `values`, validated (raise `ValidationError` naming the field)."""
        return check_values(spec, values, system=self.system, creating=creating)

    async def if_match(self, spec: EntitySpec, id: str, etag: str | None) -> str | None:
        return etag

    def write_headers(self) -> dict[str, str]:
        return {}

    def write_params(self, spec: EntitySpec) -> list[tuple[str, str]]:
        return []

    async def send_batch(
        self, requests: Sequence[BatchRequest], *, atomic: bool
    ) -> list[BatchResponse | None]:
        raise NotImplementedError

    def batch_url(self, url: str) -> str:
        """How a request URL is written inside a batch."""
        return url

    # ---- protocol: reads ------------------------------------------------------------------------

    def entities(self) -> Mapping[str, EntitySpec]:
        return dict(self._specs)

    def spec(self, entity: str) -> EntitySpec:
        spec = self._specs.get(entity)
        if spec is None:
            known = ", ".join(sorted(self._specs))
            raise NotFoundError(
                f"unknown entity {entity!r}; this connector serves: {known}", system=self.system
            )
        return spec

    def record(self, spec: EntitySpec, data: Mapping[str, Any]) -> Record:
        key = data.get(spec.key_field)
        if key is None:
            raise FatalError(
                f"a {spec.name} arrived without its key {spec.key_field!r}", system=self.system
            )
        etag = data.get("@odata.etag")
        modified = parse_datetime(data.get(spec.modified_field)) if spec.modified_field else None
        return Record(
            system=self.system,
            entity=spec.name,
            id=str(key),
            values={name: value for name, value in data.items() if "@" not in name},
            modified_on=modified,
            etag=str(etag) if etag is not None else None,
        )

    def select(self, spec: EntitySpec, fields: Sequence[str] | None) -> list[tuple[str, str]]:
        chosen = list(fields) if fields is not None else self.default_fields(spec)
        if chosen is None:
            return []
        names = [check_identifier(name, system=self.system) for name in chosen]
        for required in (spec.key_field, spec.modified_field):
            if required and required not in names:
                names.append(required)
        return [("$select", ",".join(names))]

    async def get(self, entity: str, id: str, *, fields: Sequence[str] | None = None) -> Record:
        """One record by id; `NotFoundError` when there is none."""
        spec = self.spec(entity)
        if not is_guid(id):
            raise NotFoundError(f"{spec.name} {id!r} does not exist", system=self.system)
        url = with_query(f"{await self.collection_url(spec)}({id})", self.select(spec, fields))
        data = await self.client.get_json(url, doing=f"read {spec.name} {id}")
        return self.record(spec, data)

    async def get_many(
        self, entity: str, ids: Sequence[str], *, fields: Sequence[str] | None = None
    ) -> dict[str, Record]:
        spec = self.spec(entity)
        wanted = list(dict.fromkeys(i for i in ids if is_guid(i)))  # malformed ids cannot exist
        if not wanted:
            return {}
        base = with_query(await self.collection_url(spec), self.select(spec, fields))
        budget = max(200, self.limits.max_url_length - len(base) - len("&$filter=()"))
        key = spec.key_field
        chunks = chunk_ids(
            wanted,
            clause=lambda item: f"{key} eq {item}",
            budget=budget,
            max_ids=self.limits.max_ids_per_request,
        )
        found: dict[str, Record] = {}

        async def read(chunk: list[str]) -> None:
            url = with_query(
                base, [("$filter", "(" + " or ".join(f"{key} eq {i}" for i in chunk) + ")")]
            )
            async for page in iter_pages(
                self.client,
                url,
                doing=f"read {len(chunk)} {spec.name} records",
                page_size=len(chunk),
            ):
                for value in page.values:
                    record = self.record(spec, value)
                    found[record.id.lower()] = record

        await run_concurrently(read(chunk) for chunk in chunks)
        # Answer under the ids as the caller spelled them.
        return {i: found[i.lower()] for i in wanted if i.lower() in found}

    async def get_where(
        self,
        entity: str,
        field: str,
        values: Sequence[Any],
        *,
        fields: Sequence[str] | None = None,
    ) -> list[Record]:
        spec = self.spec(entity)
        name = check_identifier(field, system=self.system)
        guid = self.is_guid_field(spec, name)
        wanted = list(
            dict.fromkeys(v for v in values if v not in (None, "") and (not guid or is_guid(v)))
        )
        if not wanted:
            return []
        base = with_query(await self.collection_url(spec), self.select(spec, fields))
        budget = max(200, self.limits.max_url_length - len(base) - len("&$filter=()"))

        def clause(value: Any) -> str:
            return f"{name} eq {literal(value, guid=guid, system=self.system)}"

        chunks = chunk_ids(
            wanted, clause=clause, budget=budget, max_ids=self.limits.max_ids_per_request
        )
        found: dict[str, Record] = {}

        async def read(chunk: list[Any]) -> None:
            url = with_query(base, [("$filter", "(" + " or ".join(map(clause, chunk)) + ")")])
            async for page in iter_pages(
                self.client,
                url,
                doing=f"read {spec.name} records by {name}",
                page_size=MAX_PAGE_SIZE,
            ):
                for value in page.values:
                    record = self.record(spec, value)
                    found[record.id] = record

        await run_concurrently(read(chunk) for chunk in chunks)
        return list(found.values())

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
        spec = self.spec(entity)
        page = page or Page()
        if not 1 <= page.size <= MAX_PAGE_SIZE:
            raise ValidationError(
                f"page.size must be between 1 and {MAX_PAGE_SIZE}, not {page.size}",
                system=self.system,
            )
        if page.cursor:
            if not self.client.owns(page.cursor):
                raise ValidationError(
                    "page.cursor does not come from this connector", system=self.system
                )
            url = page.cursor
        else:
            url = with_query(
                await self.collection_url(spec),
                self.query_params(spec, filter, fields, order_by, count),
            )
        result = await fetch_page(self.client, url, doing=f"query {spec.name}", page_size=page.size)
        return QueryResult(
            records=[self.record(spec, value) for value in result.values],
            next_cursor=result.next_link,
            total_count=result.count,
        )

    def query_params(
        self,
        spec: EntitySpec,
        filter: Filter | None,
        fields: Sequence[str] | None,
        order_by: Sequence[str] | None,
        count: bool = False,
    ) -> list[tuple[str, str]]:
        params = self.select(spec, fields)
        if filter is not None:
            rendered = render_filter(
                filter,
                system=self.system,
                is_guid_field=lambda name: self.is_guid_field(spec, name),
            )
            params.append(("$filter", rendered))
        if order_by:
            params.append(("$orderby", render_order_by(order_by, system=self.system)))
        if count:
            params.append(("$count", "true"))
        return params

    # ---- protocol: changes ----------------------------------------------------------------------

    async def changes(
        self, entity: str, token: str | None, *, page_size: int = 500
    ) -> AsyncIterator[ChangeBatch]:
        spec = self.spec(entity)
        async for batch in self.watermark_changes(spec, token, page_size=page_size):
            yield batch

    async def watermark_changes(
        self, spec: EntitySpec, token: str | None, *, page_size: int
    ) -> AsyncIterator[ChangeBatch]:
        modified = spec.modified_field
        if modified is None:
            # No timestamp to compare: every read is a full read (and says so in the token).
            async for page in iter_pages(
                self.client,
                with_query(await self.collection_url(spec), self.select(spec, None)),
                doing=f"read every {spec.name}",
                page_size=page_size,
            ):
                records = [self.record(spec, value) for value in page.values]
                yield ChangeBatch(records, [], "full", page.next_link is None)
            return
        mark = Watermark.decode(token, system=self.system) if token else Watermark()
        since: Filter | None = Compare(modified, "ge", mark.instant) if mark.instant else None
        params = self.query_params(spec, all_of(since), None, [f"{modified} asc"])
        url = with_query(await self.collection_url(spec), params)
        async for page in iter_pages(
            self.client, url, doing=f"read {spec.name} changes", page_size=page_size
        ):
            records = [self.record(spec, value) for value in page.values]
            fresh = [record for record in records if mark.is_new(record)]
            stamps = {
                str(value.get(spec.key_field)): str(value[modified])
                for value in page.values
                if value.get(modified)
            }
            mark = mark.advance(records, stamps)
            yield ChangeBatch(fresh, [], mark.encode(), page.next_link is None)

    # ---- protocol: writes -----------------------------------------------------------------------

    def writable(self, entity: str) -> EntitySpec:
        spec = self.spec(entity)
        if spec.read_only:
            raise ValidationError(f"{spec.name} is read-only in {self.system}", system=self.system)
        return spec

    def check_id(self, spec: EntitySpec, id: str) -> str:
        if not is_guid(id):
            raise ValidationError(f"{spec.name} id {id!r} is not a GUID", system=self.system)
        return id

    async def create(self, entity: str, values: Mapping[str, Any]) -> Record:
        spec = self.writable(entity)
        body = self.to_wire(spec, values, creating=True)
        url = with_query(await self.collection_url(spec), self.write_params(spec))
        response = await self.client.send(
            "POST", url, doing=f"create {spec.name}", json=body, headers=self.write_headers()
        )
        return await self.written(spec, response, None)

    async def update(
        self, entity: str, id: str, values: Mapping[str, Any], etag: str | None = None
    ) -> Record:
        spec = self.writable(entity)
        self.check_id(spec, id)
        body = self.to_wire(spec, values, creating=False)
        match = await self.if_match(spec, id, etag)
        headers = self.write_headers()
        if match:
            headers["If-Match"] = match
        url = with_query(f"{await self.collection_url(spec)}({id})", self.write_params(spec))
        response = await self.client.send(
            "PATCH", url, doing=f"update {spec.name} {id}", json=body, headers=headers
        )
        return await self.written(spec, response, id)

    async def delete(self, entity: str, id: str, etag: str | None = None) -> None:
        spec = self.writable(entity)
        self.check_id(spec, id)
        match = await self.if_match(spec, id, etag)
        await self.client.send(
            "DELETE",
            f"{await self.collection_url(spec)}({id})",
            doing=f"delete {spec.name} {id}",
            headers={"If-Match": match} if match else None,
        )

    async def written(self, spec: EntitySpec, response: httpx.Response, id: str | None) -> Record:
        """The record a create or update left, from the answer or, failing that, a read."""
        if response.content.strip():
            return self.record(spec, self.client.json(response, f"write {spec.name}"))
        located = id or entity_id(
            response.headers.get("OData-EntityId") or response.headers.get("Location")
        )
        if located is None:
            raise FatalError(
                f"write {spec.name}: the answer does not say which record", system=self.system
            )
        return await self.get(spec.name, located)

    async def write_many(
        self, operations: Sequence[Operation], *, atomic: bool = False
    ) -> list[OperationResult]:
        """One result per operation, in order. With `atomic`, all or none are applied (one
        change set), and any invalid operation fails the call before anything is sent."""
        if atomic and len(operations) > self.limits.batch_size:
            raise ValidationError(
                f"an atomic write takes at most {self.limits.batch_size} operations, "
                f"not {len(operations)}",
                system=self.system,
            )
        results: list[OperationResult | None] = [None] * len(operations)
        prepared: list[tuple[int, PreparedWrite]] = []
        for index, operation in enumerate(operations):
            try:
                prepared.append((index, await self.prepare(operation)))
            except ConnectorError as error:
                if atomic:
                    raise
                results[index] = OperationResult(operation, error=error)
        size = self.limits.batch_size
        for start in range(0, len(prepared), size):
            chunk = prepared[start : start + size]
            responses = await self.send_batch([item.request for _, item in chunk], atomic=atomic)
            for (index, item), response in zip(chunk, responses, strict=True):
                results[index] = self.batch_result(item, response)
        return [result for result in results if result is not None]

    async def prepare(self, operation: Operation) -> PreparedWrite:
        spec = self.writable(operation.entity)
        base = await self.collection_url(spec)
        headers = self.write_headers()
        if isinstance(operation, Create):
            url = with_query(base, self.write_params(spec))
            request = BatchRequest(
                "POST",
                self.batch_url(url),
                headers,
                self.to_wire(spec, operation.values, creating=True),
            )
        elif isinstance(operation, Update):
            self.check_id(spec, operation.id)
            body = self.to_wire(spec, operation.values, creating=False)
            match = await self.if_match(spec, operation.id, operation.etag)
            if match:
                headers["If-Match"] = match
            url = with_query(f"{base}({operation.id})", self.write_params(spec))
            request = BatchRequest("PATCH", self.batch_url(url), headers, body)
        elif isinstance(operation, Delete):
            self.check_id(spec, operation.id)
            match = await self.if_match(spec, operation.id, operation.etag)
            request = BatchRequest(
                "DELETE",
                self.batch_url(f"{base}({operation.id})"),
                {"If-Match": match} if match else {},
            )
        else:
            raise ValidationError(
                f"unknown operation {type(operation).__name__}", system=self.system
            )
        return PreparedWrite(operation, spec, request)

    def batch_result(self, item: PreparedWrite, response: BatchResponse | None) -> OperationResult:
        operation, spec = item.operation, item.spec
        doing = describe(operation)
        if response is None:
            missing = FatalError(
                f"{doing}: the batch answer has no response for it", system=self.system
            )
            return OperationResult(operation, error=missing)
        if response.status >= 400:
            error = error_for_status(
                response.status,
                system=self.system,
                doing=doing,
                body=response.body,
                headers=response.headers,
                secrets=self.client.secrets(),
            )
            return OperationResult(operation, error=error)
        if isinstance(operation, Delete):
            return OperationResult(operation)
        data = response.json() if response.body.strip() else None
        if isinstance(data, dict) and spec.key_field in data:
            return OperationResult(operation, record=self.record(spec, data))
        # Written, but answered without the record: say what is known.
        located = (
            operation.id
            if isinstance(operation, Update)
            else entity_id(
                response.headers.get("odata-entityid") or response.headers.get("location")
            )
        )
        record = Record(
            system=self.system,
            entity=spec.name,
            id=located or "",
            values=dict(operation.values),
            etag=response.headers.get("etag"),
        )
        return OperationResult(operation, record=record)

    async def aclose(self) -> None:
        if self._owns_http:
            await self.client.http.aclose()


def entity_id(url: str | None) -> str | None:
    """The key at the end of an entity URL such as `.../accounts(00000000-...)`."""
    if not url:
        return None
    match = ENTITY_ID.search(url)
    return match.group(1) if match else None


def describe(operation: Operation) -> str:
    if isinstance(operation, Create):
        return f"create {operation.entity}"
    verb = "update" if isinstance(operation, Update) else "delete"
    return f"{verb} {operation.entity} {operation.id}"


def check_values(
    spec: EntitySpec, values: Mapping[str, Any], *, system: str, creating: bool
) -> dict[str, Any]:
    """A plain copy of `values` after checking the names; server-owned columns are refused.
    The key may be given on create (a caller-chosen id makes a repeated create detectable)."""
    if not isinstance(values, Mapping):
        raise ValidationError(
            f"{spec.name}: values must be a mapping of field names", system=system
        )
    body: dict[str, Any] = {}
    for name, value in values.items():
        if not isinstance(name, str) or "@" in name:
            raise ValidationError(f"{spec.name}: field {name!r} is not a field name", system=system)
        check_identifier(name, system=system)
        if name == spec.modified_field or (name == spec.key_field and not creating):
            raise ValidationError(
                f"{spec.name}.{name} is set by {system} and cannot be written", system=system
            )
        body[name] = value
    return body
