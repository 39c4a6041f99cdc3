"""Client values become data, never query syntax: the checks every MongoDB query built from
an argument goes through.

    {"name": require_plain_text(name, "name")}         # a str, never a dict like {"$gt": ""}
    {"crm.id": record_id(IdKind.GUID, crm_id, "crmId")} # a GUID, or refused
    {"name": search_pattern(search, "search")}          # a case-insensitive literal substring
    {field_name(sort, "orderBy"): 1}                     # a field name, never an operator

Each refusal is an `InputRejectedError` naming the input field and the reason, raised before
anything is read or written; the schema layer turns it into a user error or a GraphQL error.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from adapters.capabilities import IdKind

MAX_SEARCH_LENGTH = 200
MAX_TEXT_LENGTH = 10_000
# Tryton ids are PostgreSQL integer keys.
MAX_INTEGER_ID = 2**63 - 1


_GUID = re.compile(
    r"^\{?[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\}?$"
)
_FIELD_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")


class InputRejectedError(ValueError):
    """A client value that cannot be used; `field` is its path in the input."""

    def __init__(self, field: str | tuple[str, ...], reason: str) -> None:
        self.field: tuple[str, ...] = (field,) if isinstance(field, str) else tuple(field)
        self.reason = reason
        super().__init__(f"{'.'.join(self.field)}: {reason}")


def require_plain_text(value: Any, field: str, *, max_length: int = MAX_TEXT_LENGTH) -> str:
    """A string of text: not an object or list a JSON scalar could smuggle in, not too long,
    no NUL characters."""
    if not isinstance(value, str):
        raise InputRejectedError(field, "must be a string")
    if len(value) > max_length:
        raise InputRejectedError(field, f"must be at most {max_length} characters")
    if "\x00" in value:
        raise InputRejectedError(field, "must not contain NUL characters")
    return value


def escape_regex(text: str) -> str:
    """`text` as a regular expression that matches exactly that text."""
    return re.escape(text)


def search_pattern(search: Any, field: str = "search") -> dict[str, str]:
    """A MongoDB condition matching values that contain `search`, ignoring case.

    Regular-expression characters in `search` match themselves, so `.*` finds values that
    contain a dot followed by a star, not everything."""
    text = require_plain_text(search, field, max_length=MAX_SEARCH_LENGTH)
    return {"$regex": escape_regex(text), "$options": "i"}


def guid(value: Any, field: str) -> str:
    """A GUID as Dataverse and Business Central write them: lower case, no braces."""
    text = require_plain_text(value, field, max_length=40)
    if not _GUID.fullmatch(text):
        raise InputRejectedError(field, "must be a GUID like 00000000-0000-0000-0000-000000000000")
    return str(uuid.UUID(text.strip("{}")))


def integer_id(value: Any, field: str) -> int:
    """A record id that is a positive integer (given as a number or as its decimal digits)."""
    if isinstance(value, bool):
        raise InputRejectedError(field, "must be a positive integer")
    if isinstance(value, str):
        if not value.isascii() or not value.isdigit() or len(value) > 19:
            raise InputRejectedError(field, "must be a positive integer")
        value = int(value)
    if not isinstance(value, int) or not 0 < value <= MAX_INTEGER_ID:
        raise InputRejectedError(field, "must be a positive integer")
    return value


def record_id(kind: IdKind, value: Any, field: str) -> str | int:
    """An id in the shape a system gives its records (its connector declares which)."""
    if kind is IdKind.GUID:
        return guid(value, field)
    if kind is IdKind.INTEGER:
        return integer_id(value, field)
    return require_plain_text(value, field, max_length=200)


def field_name(value: Any, field: str) -> str:
    """A document field name (dotted paths allowed): never an operator like `$where`."""
    text = require_plain_text(value, field, max_length=200)
    if text.startswith("$"):
        raise InputRejectedError(field, "must be a field name, not an operator")
    if not _FIELD_NAME.fullmatch(text):
        raise InputRejectedError(
            field, "must be a field name: letters, digits and '_', parts separated by '.'"
        )
    return text


def reject_operators(value: Any, field: str | tuple[str, ...]) -> Any:
    """`value` unchanged if no key at any depth starts with `$` or contains a NUL: for the rare
    place where a client sends a whole document (filters, templates) rather than values."""
    path = (field,) if isinstance(field, str) else tuple(field)
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str) or key.startswith("$") or "\x00" in key:
                raise InputRejectedError((*path, str(key)), "must be a field name, not an operator")
            reject_operators(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            reject_operators(item, (*path, str(index)))
    return value
