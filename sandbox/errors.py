"""Errors raised inside the sandbox, classified by what went wrong, not by how it is worded.

Generic code (query parsing, value coercion, storage) raises `SandboxError` with an
`ErrorKind`; each emulated API turns the kind into its own status code and error code when it
renders the response, so the same mistake reads like Dataverse on one side of the wire and like
Business Central on the other. A raise site may pin the status or code when the published
behaviour of one API is specific.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum


class ErrorKind(StrEnum):
    BAD_QUERY = "bad_query"  # a malformed query option ($filter syntax, $top=abc)
    UNKNOWN_PROPERTY = "unknown_property"  # a property that the entity type does not have
    UNKNOWN_RESOURCE = "unknown_resource"  # an entity set, action or segment that does not exist
    BAD_PAYLOAD = "bad_payload"  # a body that is not JSON, or a value of the wrong type
    NOT_FOUND = "not_found"  # the addressed record does not exist
    REFERENCE_NOT_FOUND = "reference_not_found"  # a body refers to a record that does not exist
    PRECONDITION_FAILED = "precondition_failed"  # If-Match / If-None-Match did not hold
    PRECONDITION_REQUIRED = "precondition_required"  # the API requires If-Match and got none
    READ_ONLY = "read_only"  # a property or record that cannot be written
    DUPLICATE = "duplicate"  # a record with the same key exists
    BUSINESS_RULE = "business_rule"  # the record's state forbids the operation
    METHOD_NOT_ALLOWED = "method_not_allowed"
    NOT_SUPPORTED = "not_supported"  # valid OData that this subset does not implement


class SandboxError(Exception):
    """An expected failure of one request; becomes the API's error response."""

    def __init__(
        self,
        kind: ErrorKind,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.status = status
        self.code = code
        self.headers = dict(headers or {})
