"""Business Central error responses: `{"error": {"code": "BadRequest_…", "message": "…"}}` with the
codes of the API's error-code reference, and the correlation id the service appends."""

from __future__ import annotations

import uuid

from sandbox.errors import ErrorKind, SandboxError
from sandbox.http import ApiResponse, json_response

MISSING_ETAG = "BadRequest_InvalidToken"
MISSING_ETAG_MESSAGE = (
    "Could not validate the client concurrency token required by the service. Please provide a "
    "valid token in the client request."
)

_BY_KIND: dict[ErrorKind, tuple[int, str]] = {
    ErrorKind.BAD_QUERY: (400, "BadRequest_NotFound"),
    ErrorKind.UNKNOWN_PROPERTY: (400, "BadRequest_NotFound"),
    ErrorKind.UNKNOWN_RESOURCE: (404, "BadRequest_ResourceNotFound"),
    ErrorKind.BAD_PAYLOAD: (400, "BadRequest"),
    ErrorKind.NOT_FOUND: (404, "Internal_RecordNotFound"),
    ErrorKind.REFERENCE_NOT_FOUND: (400, "Internal_RecordNotFound"),
    ErrorKind.PRECONDITION_FAILED: (412, "Request_EntityChanged"),
    ErrorKind.PRECONDITION_REQUIRED: (400, MISSING_ETAG),
    ErrorKind.READ_ONLY: (400, "BadRequest_InvalidOperation"),
    ErrorKind.DUPLICATE: (400, "Internal_EntityWithSameKeyExists"),
    ErrorKind.BUSINESS_RULE: (400, "Application_DialogException"),
    ErrorKind.METHOD_NOT_ALLOWED: (405, "BadRequest_MethodNotAllowed"),
    ErrorKind.NOT_SUPPORTED: (501, "BadRequest_MethodNotImplemented"),
}


def error_body(code: str, message: str) -> dict[str, dict[str, str]]:
    return {"error": {"code": code, "message": f"{message}  CorrelationId:  {uuid.uuid4()}."}}


def render(error: SandboxError) -> ApiResponse:
    status, code = _BY_KIND[error.kind]
    if error.kind is ErrorKind.UNKNOWN_RESOURCE and error.code:
        status = 400
    return json_response(
        error.status or status, error_body(error.code or code, error.message), error.headers
    )
