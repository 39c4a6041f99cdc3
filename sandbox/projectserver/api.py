"""Routing of `projectserver/_api/…`: `contextinfo`, `ProjectServer/…` (the CSOM REST
endpoint: projects in `projects.py`, enterprise resources and custom fields here) and
`ProjectData/…` (the reporting feed).

Every state-changing request needs `X-RequestDigest` from `contextinfo`; SharePoint's
`X-HTTP-Method: MERGE` (or `PATCH`, `DELETE`) on a POST is honoured.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode

from sandbox.errors import ErrorKind, SandboxError
from sandbox.http import ApiRequest, ApiResponse
from sandbox.odata.paths import Segment, parse_path
from sandbox.projectserver import enterprise, errors, render, reporting
from sandbox.projectserver.call import UPDATES, WRITES, Call, done, key
from sandbox.projectserver.digest import TIMEOUT_SECONDS, Digests
from sandbox.projectserver.projects import Projects
from sandbox.projectserver.queue import QueueService
from sandbox.projectserver.render import Shape
from sandbox.projectserver.state import ProjectServerState, User
from sandbox.projectserver.types import ENTITY_TYPES, REPORTS, RESOURCES

Doc = dict[str, Any]
_log = logging.getLogger("sandbox.projectserver")


class ProjectServerApi:
    def __init__(self, state: ProjectServerState, queue: QueueService, digests: Digests) -> None:
        self.state = state
        self.digests = digests
        self.projects = Projects(state, queue)

    @staticmethod
    def entity_set_of(path: str) -> str:
        names = [s.name for s in parse_path(path)] if path.strip("/") else []
        if names[:1] == ["ProjectServer"]:
            names = names[1:]
        return "/".join(names) or "/"

    async def handle(self, request: ApiRequest) -> ApiResponse:
        try:
            return await self.dispatch(request)
        except SandboxError as error:
            return errors.render(error)
        except Exception:
            _log.exception("%s %s failed", request.method, request.path)
            failure = SandboxError(
                ErrorKind.BUSINESS_RULE,
                "An unexpected error occurred.",
                status=500,
                code=errors.SERVER,
            )
            return errors.render(failure)

    async def dispatch(self, request: ApiRequest) -> ApiResponse:
        override = request.headers.get("x-http-method", "").upper()
        method = override if request.method == "POST" and override in WRITES else request.method
        call = Call(request, method, Shape.of(request), User.app(request.client_id))
        segments = parse_path(request.path)
        first = segments[0].name if segments else ""
        if first == "contextinfo":
            if method != "POST":
                raise call.not_allowed()
            return self._context_info(call)
        if method in WRITES and not self.digests.valid(
            request.client_id, request.headers.get("x-requestdigest")
        ):
            raise SandboxError(ErrorKind.PRECONDITION_REQUIRED, errors.DIGEST_MESSAGE)
        if first == "ProjectData":
            if method != "GET":
                raise call.not_allowed()
            return await self._report(call, segments[1:])
        if first != "ProjectServer" or len(segments) < 2:
            raise call.unknown()
        head, rest = segments[1], segments[2:]
        if head.name == "Projects":
            return await self.projects.route(call, head, rest)
        if head.name == "EnterpriseResources":
            return await self._resources(call, head, rest)
        if head.name == "CustomFields":
            return await self._custom_fields(call, head, rest)
        if head.name == "EntityTypes" and method == "GET" and not rest:
            types = {f"{n}Entity": {"ID": i, "Name": n} for n, i in ENTITY_TYPES.items()}
            return call.shape.one(types, "EntityTypes")
        raise call.unknown()

    def _context_info(self, call: Call) -> ApiResponse:
        site = call.request.root.removesuffix("_api/").rstrip("/")
        info = {
            "FormDigestTimeoutSeconds": TIMEOUT_SECONDS,
            "FormDigestValue": self.digests.issue(call.request.client_id),
            "LibraryVersion": "16.0.10417.20018",
            "SiteFullUrl": site,
            "WebFullUrl": site,
        }
        if call.shape.verbose:
            return call.shape.respond(200, {"d": {"GetContextWebInformation": info}})
        return call.shape.respond(200, info)

    async def _resources(self, call: Call, head: Segment, rest: list[Segment]) -> ApiResponse:
        state, shape = self.state, call.shape
        if head.key is None:
            if not rest and call.method == "GET":
                options = reporting.options(call.request.query, RESOURCES)
                docs = await state["resources"].find(options.filter).sort("Name", 1).to_list()
                found = [render.resource(shape, d) for d in call.page(docs)]
                return shape.many(found, "EnterpriseResources")
            if len(rest) == 1 and rest[0].name == "Add" and call.method == "POST":
                doc = await enterprise.add_resource(state, call.request.json())
                await reporting.refresh_resource(state, doc)
                return shape.one(render.resource(shape, doc), "EnterpriseResources")
            if len(rest) == 1 and rest[0].name.lower() == "update" and call.method == "POST":
                return done()  # CSOM's EnterpriseResources.Update(): changes are already saved
            raise call.unknown()
        doc = await enterprise.resource(state, key(head))
        body: Doc | None = None
        if len(rest) == 1 and rest[0].name == "SetCustomFieldValue" and call.method == "POST":
            name, value = enterprise.set_custom_call(call.arguments(rest[0]))
            body = {name: value}
        elif rest:
            raise call.unknown()
        elif call.method == "GET":
            return shape.one(render.resource(shape, doc), "EnterpriseResources")
        elif call.method in UPDATES:
            body = call.request.json()
        if body is None:
            raise call.not_allowed()
        doc = await enterprise.update_resource(state, doc, body)
        await reporting.refresh_resource(state, doc)
        return done(204 if call.method in UPDATES else 200)

    async def _custom_fields(self, call: Call, head: Segment, rest: list[Segment]) -> ApiResponse:
        shape = call.shape
        if head.key is None:
            if not rest and call.method == "GET":
                docs = await enterprise.custom_fields(self.state)
                found = [render.custom_field(shape, d, ENTITY_TYPES) for d in docs]
                return shape.many(call.page(found), "CustomFields")
            if len(rest) == 1 and rest[0].name == "Add" and call.method == "POST":
                doc = await enterprise.add_custom_field(self.state, call.request.json())
                return shape.one(render.custom_field(shape, doc, ENTITY_TYPES), "CustomFields")
            raise call.unknown()
        field = await self.state["custom_fields"].find_one({"_id": key(head)})
        if field is None or rest or call.method != "GET":
            raise call.unknown()
        return shape.one(render.custom_field(shape, field, ENTITY_TYPES), "CustomFields")

    async def _report(self, call: Call, rest: list[Segment]) -> ApiResponse:
        shape, request = call.shape, call.request
        if not rest:
            names = list(REPORTS)
            body = {"value": [{"name": n, "url": n} for n in names]}
            return shape.respond(200, {"d": {"EntitySets": names}} if shape.verbose else body)
        if len(rest) != 1 or rest[0].name not in REPORTS or rest[0].key is not None:
            raise call.unknown()
        rows = await reporting.entity_set(self.state, rest[0].name)
        options = reporting.options(request.query, rows)
        found, more = await reporting.read(self.state, rows, options)
        next_link = None
        if more:
            params = [(k, v) for k, v in request.query if k not in ("$skip", "$top")]
            params.append(("$skip", str((options.skip or 0) + len(found))))
            if options.top is not None:
                params.append(("$top", str(options.top - len(found))))
            next_link = f"{request.root}ProjectData/{rows.name}?{urlencode(params)}"
        shape.select = options.select or None
        entities = [render.row(shape, doc, rows.name, rows.key) for doc in found]
        return shape.many(entities, f"ProjectData/{rows.name}", next_link)
