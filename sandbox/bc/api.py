"""The Business Central API v2.0 subset: routing of `/api/v2.0/...` requests.

`If-Match` is mandatory on PATCH and DELETE (`*` or the record's `@odata.etag`): without it
the API answers 400 `BadRequest_InvalidToken`, with a stale one 412 `Request_EntityChanged`.
"""

from __future__ import annotations

import logging
from typing import Any

from sandbox.bc import actions, batch, errors, reads, subscriptions, writes
from sandbox.bc.catalogue import COMPANIES, LINES
from sandbox.bc.context import SCHEMA, BusinessCentral, etag
from sandbox.bc.webhooks import BcWebhooks
from sandbox.errors import ErrorKind, SandboxError
from sandbox.http import ApiRequest, ApiResponse, json_response
from sandbox.model import COMPANY, EntitySet
from sandbox.odata.options import QueryOptions, parse_options
from sandbox.odata.paths import Segment, parse_path
from sandbox.store.database import Doc, Journal
from sandbox.store.reader import find_all, sort_docs

_log = logging.getLogger("sandbox.bc")
_ACTION_PREFIX = "Microsoft.NAV."


class BusinessCentralApi:
    def __init__(self, ctx: BusinessCentral, webhooks: BcWebhooks | None = None) -> None:
        self.ctx = ctx
        self.webhooks = webhooks

    @staticmethod
    def entity_set_of(path: str) -> str:
        parts = [part.split("(", 1)[0] for part in path.strip("/").split("/") if part]
        if len(parts) >= 2 and parts[0] == "companies":
            return parts[1]
        return parts[0] if parts else "/"

    async def handle(self, request: ApiRequest, journal: Journal | None = None) -> ApiResponse:
        try:
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
                    code="Internal_ServerError",
                )
            )

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
        if first.name == "subscriptions" and self.webhooks is not None:
            return await subscriptions.handle(self.webhooks, request, first)
        if first.name != "companies":
            raise SandboxError(
                ErrorKind.UNKNOWN_RESOURCE, f"Resource not found for the segment '{first.name}'."
            )
        if first.key is None:
            _allow(request, "GET")
            return await self._companies(request)
        company = await self.ctx.company(first)
        rest = segments[1:]
        if not rest:
            _allow(request, "GET")
            return await self._company(company, request)
        entity_set = self.ctx.entity_set(rest[0].name)
        if rest[0].key is None:
            return await self._collection(
                company, entity_set, rest[1:], request, journal=journal, scope={}
            )
        doc = await self.ctx.require(self._stored(entity_set), company, self.ctx.key(rest[0]))
        if len(rest) == 1:
            return await self._record(company, entity_set, doc, request, journal)
        return await self._member(
            company, entity_set, doc, rest[1:], request=request, journal=journal
        )

    def _stored(self, entity_set: EntitySet) -> EntitySet:
        """customerFinancialDetails are computed from the customer with the same id."""
        if entity_set.name == reads.FINANCIAL:
            return self.ctx.entity_set("customers")
        return entity_set

    def _options(self, entity_set: EntitySet, request: ApiRequest) -> QueryOptions:
        options = parse_options(request.query, entity_set, SCHEMA, allow_skip=True)
        if options.apply is not None:
            raise SandboxError(ErrorKind.NOT_SUPPORTED, "$apply is not supported by this API.")
        if entity_set.name == reads.FINANCIAL and (options.orderby or _computed(options.filter)):
            raise SandboxError(
                ErrorKind.NOT_SUPPORTED,
                "customerFinancialDetails can be filtered and sorted by id and number only.",
            )
        return options

    async def _collection(
        self,
        company: str,
        entity_set: EntitySet,
        rest: list[Segment],
        request: ApiRequest,
        *,
        journal: Journal | None,
        scope: dict[str, Any],
        document_id: str | None = None,
    ) -> ApiResponse:
        if rest:
            if len(rest) == 1 and rest[0].name == "$count" and request.method == "GET":
                options = self._options(entity_set, request)
                source = self._stored(entity_set)
                total = await self.ctx.db.collection(source).count_documents(
                    {**options.filter, **scope, COMPANY: company}
                )
                return ApiResponse(200, str(total).encode(), {"OData-Version": "4.0"}, "text/plain")
            raise SandboxError(
                ErrorKind.UNKNOWN_RESOURCE, f"Resource not found for the segment '{rest[0].name}'."
            )
        if request.method == "GET":
            options = self._options(entity_set, request)
            return await reads.query(self.ctx, company, entity_set, request, options, scope=scope)
        if request.method == "POST":
            if not entity_set.writable:
                raise _not_allowed(request, entity_set)
            doc = await writes.create(
                self.ctx, company, entity_set, request.json(), journal, document_id=document_id
            )
            return await self._written(company, entity_set, doc, request, 201)
        raise _not_allowed(request, entity_set)

    async def _record(
        self,
        company: str,
        entity_set: EntitySet,
        doc: Doc,
        request: ApiRequest,
        journal: Journal | None,
    ) -> ApiResponse:
        if request.method == "GET":
            return await reads.get_one(
                self.ctx,
                company,
                entity_set,
                doc,
                request=request,
                options=self._options(entity_set, request),
            )
        if request.method not in ("PATCH", "DELETE") or not entity_set.writable:
            raise _not_allowed(request, entity_set)
        _check_if_match(request, doc)
        if request.method == "PATCH":
            updated = await writes.update(
                self.ctx, company, entity_set, doc, request.json(), journal=journal
            )
            return await self._written(company, entity_set, updated, request, 200)
        await writes.delete(self.ctx, company, entity_set, doc, journal)
        return ApiResponse(204, None, {"OData-Version": "4.0"})

    async def _member(
        self,
        company: str,
        entity_set: EntitySet,
        doc: Doc,
        rest: list[Segment],
        *,
        request: ApiRequest,
        journal: Journal | None,
    ) -> ApiResponse:
        segment = rest[0]
        if segment.name.startswith(_ACTION_PREFIX) and len(rest) == 1:
            _allow(request, "POST")
            await actions.run(
                self.ctx,
                company,
                entity_set,
                doc,
                name=segment.name[len(_ACTION_PREFIX) :],
                journal=journal,
            )
            return ApiResponse(204, None, {"OData-Version": "4.0"})
        nav, target = SCHEMA.navigation(entity_set, segment.name)
        if target.name == reads.FINANCIAL:
            _allow(request, "GET")
            return await reads.get_one(
                self.ctx,
                company,
                target,
                doc,
                request=request,
                options=self._options(target, request),
            )
        if not nav.many:
            _allow(request, "GET")
            related_id = doc.get(nav.local)
            related = await self.ctx.get(target, company, related_id) if related_id else None
            if related is None:
                return ApiResponse(204, None, {"OData-Version": "4.0"})
            return await reads.get_one(
                self.ctx,
                company,
                target,
                related,
                request=request,
                options=self._options(target, request),
            )
        scope = {nav.remote: doc["_id"]}
        if segment.key is None:
            document_id = doc["_id"] if target.name in LINES else None
            return await self._collection(
                company,
                target,
                rest[1:],
                request,
                journal=journal,
                scope=scope,
                document_id=document_id,
            )
        child = await self.ctx.require(target, company, self.ctx.key(segment))
        if child.get(nav.remote) != doc["_id"] or len(rest) > 1:
            raise SandboxError(
                ErrorKind.NOT_FOUND,
                f"The {target.entity} does not exist. Identification fields and values: "
                f"Id='{child['_id']}'",
            )
        return await self._record(company, target, child, request, journal)

    async def _written(
        self, company: str, entity_set: EntitySet, doc: Doc, request: ApiRequest, status: int
    ) -> ApiResponse:
        [rendered] = await reads.render_page(self.ctx, company, entity_set, [doc], QueryOptions())
        body = {
            "@odata.context": reads.context_url(request, company, entity_set, "/$entity"),
            **rendered,
        }
        headers = {"ETag": etag(doc)}
        if status == 201:
            headers["Location"] = (
                f"{request.root}companies({company})/{entity_set.name}({doc['_id']})"
            )
        return json_response(status, body, headers)

    async def _companies(self, request: ApiRequest) -> ApiResponse:
        options = parse_options(request.query, COMPANIES, SCHEMA, allow_skip=True)
        docs = await find_all(self.ctx.db.collection(COMPANIES), options.filter, None)
        sort_docs(docs, options.orderby)
        docs = docs[options.skip or 0 :]
        if options.top is not None:
            docs = docs[: options.top]
        body = {
            "@odata.context": f"{request.root}$metadata#companies",
            "value": [reads.render(COMPANIES, doc, options.select) for doc in docs],
        }
        return json_response(200, body)

    async def _company(self, company: str, request: ApiRequest) -> ApiResponse:
        options = parse_options(request.query, COMPANIES, SCHEMA, allow_skip=True)
        doc = await self.ctx.db.collection(COMPANIES).find_one({"_id": company})
        assert doc is not None
        body = {
            "@odata.context": f"{request.root}$metadata#companies/$entity",
            **reads.render(COMPANIES, doc, options.select),
        }
        return json_response(200, body)

    def _service_document(self, request: ApiRequest) -> ApiResponse:
        names = ["companies", *sorted(n for n in self.ctx.db.catalogue.names() if n != "companies")]
        body = {
            "@odata.context": f"{request.root}$metadata",
            "value": [{"name": name, "kind": "EntitySet", "url": name} for name in names],
        }
        return json_response(200, body)


def _computed(mongo_filter: dict[str, Any]) -> bool:
    return bool({"balance", "totalSalesExcludingTax", "overdueAmount"} & set(str(mongo_filter)))


def _check_if_match(request: ApiRequest, doc: Doc) -> None:
    value = request.headers.get("if-match")
    if value is None or not value.strip():
        raise SandboxError(
            ErrorKind.PRECONDITION_REQUIRED, errors.MISSING_ETAG_MESSAGE, code=errors.MISSING_ETAG
        )
    value = value.strip()
    current = etag(doc)
    if value != "*" and value not in (current, current[2:]):
        raise SandboxError(
            ErrorKind.PRECONDITION_FAILED, "Another user has already changed the record."
        )


def _allow(request: ApiRequest, method: str) -> None:
    if request.method != method:
        raise SandboxError(
            ErrorKind.METHOD_NOT_ALLOWED,
            f"'{request.method}' requests for '{request.path}' are not allowed within Dynamics 365 "
            "Business Central OData web services.",
        )


def _not_allowed(request: ApiRequest, entity_set: EntitySet) -> SandboxError:
    return SandboxError(
        ErrorKind.METHOD_NOT_ALLOWED,
        f"'{request.method}' requests for '{entity_set.name}' of EdmType 'Entity' are not allowed "
        "within Dynamics 365 Business Central OData web services.",
    )
