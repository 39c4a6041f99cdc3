"""How the Project Server side answers what the pipeline decides: 401, 429 and failures, in
SharePoint's words."""

from __future__ import annotations

from sandbox.faults import Fault
from sandbox.http import ApiRequest, ApiResponse, json_response
from sandbox.projectserver import errors
from sandbox.projectserver.api import ProjectServerApi

PREFIX = "projectserver/_api/"


class ProjectServerFlavour:
    name = "projectserver"
    prefix = PREFIX

    def __init__(self, api: ProjectServerApi) -> None:
        self.api = api

    def unauthorized(self, base: str, reason: str) -> ApiResponse:
        challenge = (
            f'Bearer realm="{base}projectserver/", client_id="00000003-0000-0ff1-ce00-000000000000"'
        )
        if reason == "expired":
            challenge += ', error="invalid_token", error_description="The token is expired"'
        body = errors.error_body(
            errors.UNAUTHORIZED,
            "Access denied. You do not have permission to perform this action or access this "
            "resource.",
        )
        response = json_response(401, body, {"WWW-Authenticate": challenge})
        response.headers.pop("OData-Version", None)
        return response

    def fault(self, fault: Fault) -> ApiResponse:
        if fault.status == 429:
            body = errors.error_body(
                errors.THROTTLED,
                "The request has been throttled: too many requests. Wait before retrying.",
            )
            return json_response(429, body, {"Retry-After": str(fault.retry_after or 1)})
        body = errors.error_body(errors.SERVER, "The server is temporarily unavailable.")
        return json_response(fault.status, body)

    def entity_set_of(self, path: str) -> str:
        try:
            return self.api.entity_set_of(path)
        except Exception:  # a malformed path is answered by the handler; count it as such
            return "/"

    async def handle(self, request: ApiRequest) -> ApiResponse:
        return await self.api.handle(request)
