"""SharePoint's JSON error shape, which Project Server's REST API answers with:
`{"error": {"code": "<number>, <exception type>", "message": {"lang": "en-US", "value": …}}}`.

Project Server's own refusals (a project checked out to someone else, a task id used twice)
are `PJClientCallableException`s whose message starts with the PSErrorID name
(`CICOCheckedOutToOtherUser`), which is what clients match on.
"""

from __future__ import annotations

from sandbox.errors import ErrorKind, SandboxError
from sandbox.http import ApiResponse, json_response

CLIENT_QUERY = "-1, Microsoft.SharePoint.Client.InvalidClientQueryException"
NOT_FOUND = "-1, Microsoft.SharePoint.Client.ResourceNotFoundException"
PROJECT_SERVER = "20010, Microsoft.ProjectServer.PJClientCallableException"
DIGEST = "-2130575251, Microsoft.SharePoint.SPException"
UNAUTHORIZED = "-2147024891, System.UnauthorizedAccessException"
THROTTLED = "-2147024860, Microsoft.SharePoint.SPQueryThrottledException"
SERVER = "-1, System.InvalidOperationException"
DIGEST_MESSAGE = (
    "The security validation for this page is invalid and might be corrupted. Please use your "
    "web browser's Back button to try your operation again."
)

_BY_KIND: dict[ErrorKind, tuple[int, str]] = {
    ErrorKind.BAD_QUERY: (400, CLIENT_QUERY),
    ErrorKind.UNKNOWN_PROPERTY: (400, CLIENT_QUERY),
    ErrorKind.UNKNOWN_RESOURCE: (404, NOT_FOUND),
    ErrorKind.BAD_PAYLOAD: (400, CLIENT_QUERY),
    ErrorKind.NOT_FOUND: (404, NOT_FOUND),
    ErrorKind.REFERENCE_NOT_FOUND: (400, PROJECT_SERVER),
    ErrorKind.PRECONDITION_FAILED: (412, CLIENT_QUERY),
    ErrorKind.PRECONDITION_REQUIRED: (403, DIGEST),
    ErrorKind.READ_ONLY: (400, CLIENT_QUERY),
    ErrorKind.DUPLICATE: (400, PROJECT_SERVER),
    ErrorKind.BUSINESS_RULE: (400, PROJECT_SERVER),
    ErrorKind.METHOD_NOT_ALLOWED: (405, CLIENT_QUERY),
    ErrorKind.NOT_SUPPORTED: (501, CLIENT_QUERY),
}


def refusal(name: str, detail: str, kind: ErrorKind = ErrorKind.BUSINESS_RULE) -> SandboxError:
    """A Project Server refusal named by its PSErrorID (`CICOCheckedOutToOtherUser`)."""
    return SandboxError(kind, f"PJClientCallableException: {name}\r\n{name}: {detail}")


def error_body(code: str, message: str) -> dict[str, object]:
    return {"error": {"code": code, "message": {"lang": "en-US", "value": message}}}


def render(error: SandboxError) -> ApiResponse:
    status, code = _BY_KIND[error.kind]
    return json_response(
        error.status or status, error_body(error.code or code, error.message), error.headers
    )
