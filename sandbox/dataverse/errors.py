"""Dataverse error responses: `{"error": {"code": "0x…", "message": "…"}}` with the status the
Web API uses for each kind of failure."""

from __future__ import annotations

from sandbox.errors import ErrorKind, SandboxError
from sandbox.http import ApiResponse, json_response

# Codes as the Web API reports them (see "Web service error codes" in the Dataverse docs).
QUERY_SYNTAX = "0x80060888"
RESOURCE_NOT_FOUND = "0x8006088a"
PAYLOAD = "0x80048d19"
OBJECT_NOT_FOUND = "0x80040217"
CONCURRENCY_VERSION_MISMATCH = "0x80060882"
DUPLICATE_RECORD = "0x80040237"
INVALID_ARGUMENT = "0x80040203"
PLUGIN_ABORTED = "0x80040265"  # what a custom business rule (plug-in) raises
CHANGE_TRACKING_DISABLED = "0x80048515"
THROTTLED_REQUESTS = "0x80072322"
UNEXPECTED = "0x80040216"

_BY_KIND: dict[ErrorKind, tuple[int, str]] = {
    ErrorKind.BAD_QUERY: (400, QUERY_SYNTAX),
    ErrorKind.UNKNOWN_PROPERTY: (400, "0x0"),
    ErrorKind.UNKNOWN_RESOURCE: (404, RESOURCE_NOT_FOUND),
    ErrorKind.BAD_PAYLOAD: (400, PAYLOAD),
    ErrorKind.NOT_FOUND: (404, OBJECT_NOT_FOUND),
    ErrorKind.REFERENCE_NOT_FOUND: (404, OBJECT_NOT_FOUND),
    ErrorKind.PRECONDITION_FAILED: (412, CONCURRENCY_VERSION_MISMATCH),
    ErrorKind.PRECONDITION_REQUIRED: (428, INVALID_ARGUMENT),
    ErrorKind.READ_ONLY: (400, PAYLOAD),
    ErrorKind.DUPLICATE: (412, DUPLICATE_RECORD),
    ErrorKind.BUSINESS_RULE: (400, INVALID_ARGUMENT),
    ErrorKind.METHOD_NOT_ALLOWED: (405, QUERY_SYNTAX),
    ErrorKind.NOT_SUPPORTED: (501, QUERY_SYNTAX),
}


def error_body(code: str, message: str) -> dict[str, dict[str, str]]:
    return {"error": {"code": code, "message": message}}


def render(error: SandboxError) -> ApiResponse:
    status, code = _BY_KIND[error.kind]
    return json_response(
        error.status or status, error_body(error.code or code, error.message), error.headers
    )
