"""How the Business Central side answers what the pipeline decides: 401, 429 and failures."""

from __future__ import annotations

from sandbox.bc import errors
from sandbox.bc.api import BusinessCentralApi
from sandbox.faults import Fault
from sandbox.http import ApiRequest, ApiResponse, json_response

PREFIX = "bc/api/v2.0/"


class BusinessCentralFlavour:
    name = "bc"
    prefix = PREFIX

    def __init__(self, api: BusinessCentralApi) -> None:
        self.api = api

    def unauthorized(self, base: str, reason: str) -> ApiResponse:
        challenge = f'Bearer authorization_uri="{base}oauth2/authorize", resource_id="{base}bc/"'
        if reason == "expired":
            challenge += ', error="invalid_token", error_description="The token is expired"'
        message = (
            "The access token is expired."
            if reason == "expired"
            else "The server has rejected the client credentials."
        )
        body = errors.error_body("Authentication_InvalidCredentials", message)
        return json_response(401, body, {"WWW-Authenticate": challenge})

    def fault(self, fault: Fault) -> ApiResponse:
        if fault.status == 429:
            body = errors.error_body(
                "Application_TooManyRequests",
                "Too many requests reached. Wait before you send more requests.",
            )
            return json_response(429, body, {"Retry-After": str(fault.retry_after or 1)})
        if fault.status >= 500:
            body = errors.error_body(
                "Internal_ServerError", "The service is temporarily unavailable."
            )
        else:
            body = errors.error_body("BadRequest", "The request failed.")
        return json_response(fault.status, body)

    def entity_set_of(self, path: str) -> str:
        return self.api.entity_set_of(path)

    async def handle(self, request: ApiRequest) -> ApiResponse:
        return await self.api.handle(request)
