"""Values between JSON, OData literals and storage, per `FieldType`.

Storage: strings, ints and floats as they are; GUIDs as lower-case strings; date-times as naive
UTC `datetime` (BSON dates, millisecond precision); dates as `YYYY-MM-DD` strings, which sort
and compare correctly.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from odata_query import ast

from sandbox.errors import ErrorKind, SandboxError
from sandbox.model import Field, FieldType

_NUMBERS = (FieldType.INT, FieldType.BIGINT, FieldType.DECIMAL)
_INT32 = 2**31


def now() -> dt.datetime:
    """The current UTC time as stored (naive, millisecond precision)."""
    stamp = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    return stamp.replace(microsecond=stamp.microsecond // 1000 * 1000)


def parse_datetime(text: str) -> dt.datetime:
    """ISO 8601 with `Z` or an offset (or none: UTC) to naive UTC; raises ValueError."""
    value = dt.datetime.fromisoformat(text.replace("z", "Z"))
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


def parse_date(text: str) -> str:
    if len(text) > 10 and text[10] in "T ":
        return parse_datetime(text).date().isoformat()
    return dt.date.fromisoformat(text).isoformat()


def parse_guid(text: str) -> str:
    return str(uuid.UUID(text))


def _wrong(field: Field, value: object) -> SandboxError:
    shown = value if isinstance(value, str) else repr(value)
    return SandboxError(
        ErrorKind.BAD_PAYLOAD,
        f"Cannot convert the literal '{shown}' to the expected type '{field.type.value}' "
        f"of the property '{field.name}'.",
    )


def from_json(field: Field, value: Any) -> Any:  # noqa: PLR0912 - one branch per type
    """A JSON body value, validated and converted for storage; raises BAD_PAYLOAD."""
    if value is None:
        if field.required:
            raise SandboxError(
                ErrorKind.BAD_PAYLOAD,
                f"The property '{field.name}' is required and cannot be null.",
            )
        return None
    kind = field.type
    if kind is FieldType.STRING:
        if not isinstance(value, str):
            raise _wrong(field, value)
        if field.max_length is not None and len(value) > field.max_length:
            raise SandboxError(
                ErrorKind.BAD_PAYLOAD,
                f"The length of the property '{field.name}' is {len(value)}, but it must be "
                f"less than or equal to {field.max_length} characters.",
            )
        result: Any = value
    elif kind in (FieldType.INT, FieldType.BIGINT):
        if isinstance(value, bool) or not isinstance(value, int):
            raise _wrong(field, value)
        if kind is FieldType.INT and not -_INT32 <= value < _INT32:
            raise _wrong(field, value)
        result = value
    elif kind is FieldType.DECIMAL:
        if isinstance(value, bool):
            raise _wrong(field, value)
        if isinstance(value, str):
            try:
                value = float(value)
            except ValueError:
                raise _wrong(field, value) from None
        if not isinstance(value, int | float):
            raise _wrong(field, value)
        result = float(value)
    elif kind is FieldType.BOOLEAN:
        if not isinstance(value, bool):
            raise _wrong(field, value)
        result = value
    else:
        if not isinstance(value, str):
            raise _wrong(field, value)
        try:
            if kind is FieldType.DATETIME:
                result = parse_datetime(value)
            elif kind is FieldType.DATE:
                result = parse_date(value)
            else:
                result = parse_guid(value)
        except ValueError:
            raise _wrong(field, value) from None
    if field.choices is not None and result not in field.choices:
        allowed = ", ".join(str(choice) for choice in field.choices)
        raise SandboxError(
            ErrorKind.BAD_PAYLOAD,
            f"'{value}' is not a valid value for the property '{field.name}'. "
            f"The valid values are: {allowed}.",
        )
    return result


def from_literal(field: Field, node: ast._Node) -> Any:  # noqa: PLR0911, PLR0912
    """A `$filter` literal compared with `field`, converted to the stored form."""
    if isinstance(node, ast.Null):
        return None
    kind = field.type
    try:
        if kind is FieldType.STRING and isinstance(node, ast.String):
            return node.val
        if kind in _NUMBERS and isinstance(node, ast.Integer | ast.Float):
            number: float = node.py_val
            if kind is FieldType.DECIMAL:
                return float(number)
            if isinstance(node, ast.Float):
                return float(number)
            return int(number)
        if kind is FieldType.BOOLEAN and isinstance(node, ast.Boolean):
            return node.py_val
        if kind is FieldType.GUID and isinstance(node, ast.GUID | ast.String):
            return parse_guid(node.val)
        if kind is FieldType.DATETIME:
            if isinstance(node, ast.DateTime):
                return parse_datetime(node.val)
            if isinstance(node, ast.Date):
                return dt.datetime.fromisoformat(node.val)
            if isinstance(node, ast.String):
                return parse_datetime(node.val)
        if kind is FieldType.DATE and isinstance(node, ast.Date | ast.DateTime | ast.String):
            return parse_date(node.val)
        if kind is FieldType.STRING and isinstance(node, ast.Integer):
            return node.val
    except ValueError:
        pass
    shown = getattr(node, "val", type(node).__name__)
    raise SandboxError(
        ErrorKind.BAD_QUERY,
        f"A binary operator with incompatible types was detected. Found operand types "
        f"'{field.type.value}' and '{_literal_type(node)}' for the property '{field.name}' "
        f"(value {shown!r}).",
    )


def _literal_type(node: ast._Node) -> str:
    names: dict[type, str] = {
        ast.String: "Edm.String",
        ast.Integer: "Edm.Int32",
        ast.Float: "Edm.Decimal",
        ast.Boolean: "Edm.Boolean",
        ast.GUID: "Edm.Guid",
        ast.DateTime: "Edm.DateTimeOffset",
        ast.Date: "Edm.Date",
    }
    return names.get(type(node), type(node).__name__)


def to_json(field: Field, value: Any, *, milliseconds: bool) -> Any:
    """A stored value as the API renders it."""
    if value is None:
        return None
    if field.type is FieldType.DATETIME and isinstance(value, dt.datetime):
        if milliseconds:
            return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    if field.type is FieldType.DECIMAL and isinstance(value, float):
        return round(value, 5)
    return value
