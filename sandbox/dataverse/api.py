"""The Dataverse Web API subset: routing of `/api/data/v9.2/...` requests to their handlers."""

from __future__ import annotations

import logging
from typing import Any

from sandbox.dataverse import actions, batch, changes, conversions, errors, reads, writes
from sandbox.dataverse.catalogue import TABLES, Table
from sandbox.dataverse.context import ACTING_USER, SCHEMA, Dataverse, entity_url, etag
from sandbox.errors import ErrorKind, SandboxError
from sandbox.http import ApiRequest, ApiResponse, json_response
from sandbox.model import Navigation
from sandbox.odata import apply as odata_apply
from sandbox.odata.options import QueryOptions, parse_options
from sandbox.odata.paths import Segment, parse_path
from sandbox.odata.values import to_json
from sandbox.store.database import Journal
from sandbox.store.reader import find_all

_log = logging.getLogger("sandbox.dataverse")
_HEADERS = {"OData-Version": "4.0"}
_RETRIES = 3


class DataverseApi:
    def __init__(self, ctx: Dataverse) -> None:
        self.ctx = ctx

    @staticmethod
    def entity_set_of(path: str) -> str:
        """The first path segment without its key, for request statistics."""
        first = path.strip("/").split("/", 1)[0]
        return first.split("(", 1)[0] or "/"

    async def handle(self, request: ApiRequest, journal: Journal | None = None) -> ApiResponse:
        acting = None
        try:
            user = await self.ctx.impersonated(request.headers)
            acting = ACTING_USER.set(user) if user is not None else None
            return await self.dispatch(request, journal)
        except SandboxError as error:
            return errors.render(error)
        except Exception:
            _log.exception("%s %s failed", request.method, request.path)
            return errors.render(
                SandboxError(
                    ErrorKind.BUSINESS_RULE,
                    "An unexpected error occurred.",
                    status=500,
                    code=errors.UNEXPECTED,
                )
            )
        finally:
            if acting is not None:
                ACTING_USER.reset(acting)

    async def dispatch(  # noqa: PLR0911 - one return per kind of resource
        self, request: ApiRequest, journal: Journal | None
    ) -> ApiResponse:
        segments = parse_path(request.path)
        if not segments:
            return self._service_document(request)
        first = segments[0]
        if first.name == "$batch":
            _allow(request, "POST")
            return await batch.run(self, request)
        if first.name in actions.ACTIONS:
            _allow(request, "POST")
            return await actions.run_action(self.ctx, first.name, request, journal)
        if first.name in conversions.CONVERSIONS:
            _allow(request, "POST")
            return await conversions.run_conversion(self.ctx, first.name, request, journal)
        if first.name in actions.FUNCTIONS:
            _allow(request, "GET")
            return await actions.run_function(self.ctx, first, request)
        table = self.ctx.table(first.name)
        if first.key is None:
            return await self._collection(table, segments[1:], request, journal)
        key = self.ctx.key_filter(table, first)
        if len(segments) == 1:
            return await self._record(table, key, request, journal)
        if len(segments) == 2:
            return await self._member(table, key, segments[1], request, journal)
        raise SandboxError(
            ErrorKind.UNKNOWN_RESOURCE, f"Resource not found for the segment '{segments[2].name}'."
        )

    def _options(self, table: Table, request: ApiRequest) -> QueryOptions:
        return parse_options(request.query, table.entity_set, SCHEMA, allow_skip=False)

    async def _collection(
        self, table: Table, rest: list[Segment], request: ApiRequest, journal: Journal | None
    ) -> ApiResponse:
        if rest:
            if len(rest) == 1 and rest[0].name == "$count" and request.method == "GET":
                return await reads.count_only(self.ctx, table, self._options(table, request))
            raise SandboxError(
                ErrorKind.UNKNOWN_RESOURCE, f"Resource not found for the segment '{rest[0].name}'."
            )
        if request.method == "GET":
            options = self._options(table, request)
            if options.deltatoken is not None:
                return await changes.delta(self.ctx, table, request, options)
            if "odata.track-changes" in request.preferences() or changes.continues(options):
                return await changes.initial(self.ctx, table, request, options)
            if options.apply is not None:
                return await self._aggregate(table, request, options)
            return await reads.query(self.ctx, table, request, options)
        if request.method == "POST":
            doc = await writes.create(self.ctx, table, request.json(), journal)
            return await self._written(table, doc, request, created=True)
        raise _not_allowed(request)

    async def _record(
        self, table: Table, key: dict[str, Any], request: ApiRequest, journal: Journal | None
    ) -> ApiResponse:
        if request.method == "GET":
            return await reads.get_one(self.ctx, table, key, request, self._options(table, request))
        if request.method == "PATCH":
            body = request.json()
            for attempt in range(_RETRIES):
                before = await self.ctx.find(table, key)
                writes.check_if_match(request.headers, before)
                try:
                    if before is None:
                        doc = await self._upsert_create(table, key, body, journal)
                        return await self._written(table, doc, request, created=True)
                    doc = await writes.update(self.ctx, table, before, body, journal)
                    return await self._written(table, doc, request, created=False)
                except SandboxError as error:
                    retry = error.kind is ErrorKind.PRECONDITION_FAILED and attempt < _RETRIES - 1
                    if not retry or "if-match" in request.headers:
                        raise
            raise AssertionError("unreachable")
        if request.method == "DELETE":
            before = await self.ctx.require(table, key)
            writes.check_if_match(request.headers, before)
            await writes.delete(self.ctx, table, before, journal)
            return ApiResponse(204, None, dict(_HEADERS))
        raise _not_allowed(request)

    async def _upsert_create(
        self, table: Table, key: dict[str, Any], body: dict[str, Any], journal: Journal | None
    ) -> Any:
        if "_id" in key:
            return await writes.create(self.ctx, table, body, journal, key=key["_id"])
        return await writes.create(self.ctx, table, {**key, **body}, journal)

    async def _member(
        self,
        table: Table,
        key: dict[str, Any],
        segment: Segment,
        request: ApiRequest,
        journal: Journal | None,
    ) -> ApiResponse:
        entity_set = table.entity_set
        nav = entity_set.navigations.get(segment.name)
        if nav is not None:
            return await self._navigation(table, key, nav, request, journal=journal)
        field = entity_set.fields.get(segment.name)
        if field is None:
            raise SCHEMA.unknown(entity_set, segment.name)
        record = await self.ctx.require(table, key)
        if request.method == "GET":
            value = to_json(field, record.get(entity_set.column(field.name)), milliseconds=False)
            context = f"{entity_set.name}({record['_id']})/{field.name}"
            return json_response(
                200, {"@odata.context": f"{request.root}$metadata#{context}", "value": value}
            )
        if request.method not in ("DELETE", "PUT"):
            raise _not_allowed(request)
        value = None if request.method == "DELETE" else request.json().get("value")
        await writes.update(self.ctx, table, record, {field.name: value}, journal)
        return ApiResponse(204, None, dict(_HEADERS))

    async def _navigation(
        self,
        table: Table,
        key: dict[str, Any],
        nav: Navigation,
        request: ApiRequest,
        *,
        journal: Journal | None,
    ) -> ApiResponse:
        record = await self.ctx.require(table, key)
        target = TABLES[nav.target]
        if nav.many and request.method == "POST":
            # Creating through a collection-valued navigation property binds the new record.
            navs = [name for name, lookup in target.lookups.items() if lookup.column == nav.remote]
            reference = f"/{table.entity_set.name}({record['_id']})"
            body = {**request.json(), f"{navs[0]}@odata.bind": reference}
            doc = await writes.create(self.ctx, target, body, journal)
            return await self._written(target, doc, request, created=True)
        if request.method != "GET":
            raise _not_allowed(request)
        if nav.many:
            options = self._options(target, request)
            options.filter = {**options.filter, nav.remote: record["_id"]}
            return await reads.query(self.ctx, target, request, options)
        related_id = record.get(nav.local)
        if related_id is None:
            return ApiResponse(204, None, dict(_HEADERS))
        return await reads.get_one(
            self.ctx, target, {"_id": related_id}, request, self._options(target, request)
        )

    async def _written(
        self, table: Table, doc: Any, request: ApiRequest, *, created: bool
    ) -> ApiResponse:
        headers = {**_HEADERS, "OData-EntityId": entity_url(request.root, table, doc["_id"])}
        prefs = request.preferences()
        if prefs.get("return") == "representation":
            options = self._options(table, request)
            body = {
                "@odata.context": reads.context_url(request, table, options.select, "/$entity"),
                **reads.render(table, doc, options.select, annotations=False),
            }
            headers.update({"Preference-Applied": "return=representation", "ETag": etag(doc)})
            return json_response(201 if created else 200, body, headers)
        return ApiResponse(204, None, headers)

    async def _aggregate(
        self, table: Table, request: ApiRequest, options: QueryOptions
    ) -> ApiResponse:
        assert options.apply is not None
        aggregation = odata_apply.parse_apply(options.apply, table.entity_set, SCHEMA)
        mongo_filter = (
            {**options.filter, **aggregation.filter}
            if not (set(options.filter) & set(aggregation.filter))
            else {"$and": [options.filter, aggregation.filter]}
        )
        projection = dict.fromkeys(aggregation.columns(), 1)
        docs = await find_all(
            self.ctx.db.collection(table.entity_set), mongo_filter, projection or {"_id": 1}
        )
        rows = odata_apply.evaluate(aggregation, docs)
        rendered = []
        for row in rows:
            out: dict[str, Any] = {}
            for name, value in row.items():
                spec = table.entity_set.fields.get(name)
                out[name] = to_json(spec, value, milliseconds=False) if spec else value
            rendered.append(out)
        names = ",".join(rows[0]) if rows else ""
        body = {
            "@odata.context": f"{request.root}$metadata#{table.entity_set.name}({names})",
            "value": rendered,
        }
        return json_response(200, body)

    def _service_document(self, request: ApiRequest) -> ApiResponse:
        body = {
            "@odata.context": f"{request.root}$metadata",
            "value": [{"name": name, "kind": "EntitySet", "url": name} for name in sorted(TABLES)],
        }
        return json_response(200, body)


def _allow(request: ApiRequest, method: str) -> None:
    if request.method != method:
        raise _not_allowed(request)


def _not_allowed(request: ApiRequest) -> SandboxError:
    return SandboxError(
        ErrorKind.METHOD_NOT_ALLOWED,
        f"The HTTP method '{request.method}' is not allowed on '{request.path}'.",
    )
