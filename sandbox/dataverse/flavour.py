"""How the Dataverse side answers what the pipeline decides: 401, 429 and injected failures."""

from __future__ import annotations

from sandbox.auth import TENANT_ID
from sandbox.dataverse import errors
from sandbox.dataverse.api import DataverseApi
from sandbox.faults import Fault
from sandbox.http import ApiRequest, ApiResponse, json_response

PREFIX = "dataverse/api/data/v9.2/"


class DataverseFlavour:
    name = "dataverse"
    prefix = PREFIX

    def __init__(self, api: DataverseApi) -> None:
        self.api = api

    def unauthorized(self, base: str, reason: str) -> ApiResponse:
        challenge = (
            f"Bearer authorization_uri={base}{TENANT_ID}/oauth2/authorize, "
            f"resource_id={base}dataverse/"
        )
        if reason == "expired":
            challenge += ', error="invalid_token", error_description="The access token expired"'
        elif reason != "missing":
            challenge += ', error="invalid_token"'
        return ApiResponse(401, None, {"WWW-Authenticate": challenge, "OData-Version": "4.0"})

    def fault(self, fault: Fault) -> ApiResponse:
        if fault.status == 429:
            body = errors.error_body(
                errors.THROTTLED_REQUESTS,
                "Number of requests exceeded the limit of the service protection API limits "
                "over the time window.",
            )
            return json_response(429, body, {"Retry-After": str(fault.retry_after or 1)})
        message = "An unexpected error occurred." if fault.status >= 500 else "The request failed."
        return json_response(fault.status, errors.error_body(errors.UNEXPECTED, message))

    def entity_set_of(self, path: str) -> str:
        return self.api.entity_set_of(path)

    async def handle(self, request: ApiRequest) -> ApiResponse:
        return await self.api.handle(request)
