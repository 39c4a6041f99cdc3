"""What keeps callers honest: the door of /graphql (keys, body size, rate limit), security
headers, input checks for MongoDB queries, and secret redaction."""

from gateway.security.inputs import (
    InputRejectedError,
    escape_regex,
    field_name,
    guid,
    integer_id,
    record_id,
    reject_operators,
    require_plain_text,
    search_pattern,
)
from gateway.security.redaction import REDACTED, install_secret_redaction, redact, secret_values

__all__ = [
    "REDACTED",
    "InputRejectedError",
    "escape_regex",
    "field_name",
    "guid",
    "install_secret_redaction",
    "integer_id",
    "record_id",
    "redact",
    "reject_operators",
    "require_plain_text",
    "search_pattern",
    "secret_values",
]
