"""Request bodies of the Project Server API: properties checked against their entity type,
`parameters` of the `Add` methods, and enterprise custom field values by their field type."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from typing import Any

from sandbox.errors import ErrorKind, SandboxError
from sandbox.model import EntitySet, Field
from sandbox.odata.values import from_json, parse_datetime
from sandbox.projectserver.types import FIELD_TYPES, NAMESPACE

Doc = dict[str, Any]
CUSTOM_PREFIX = "Custom_"


def _unknown(name: str, type_name: str) -> SandboxError:
    return SandboxError(
        ErrorKind.UNKNOWN_PROPERTY,
        f"The property '{name}' does not exist on type '{NAMESPACE}.{type_name}'. Make sure to "
        "only use property names that are defined by the type.",
    )


def parameters(body: Doc, accepted: Mapping[str, Field], type_name: str) -> Doc:
    """The `parameters` object of an `Add` call, each value converted; unknown names refused."""
    raw = body.get("parameters", body)
    if not isinstance(raw, dict):
        raise SandboxError(ErrorKind.BAD_PAYLOAD, "'parameters' must be a JSON object.")
    values: Doc = {}
    for name, value in raw.items():
        if name.startswith("__"):
            continue  # verbose JSON's __metadata
        field = accepted.get(name)
        if field is None:
            raise _unknown(name, type_name)
        values[name] = from_json(field, value)
    return values


def properties(body: Doc, entity_set: EntitySet, type_name: str) -> tuple[Doc, Doc]:
    """(properties, custom field values by internal name) of a MERGE/PATCH body."""
    values: Doc = {}
    custom: Doc = {}
    for name, value in body.items():
        if name.startswith("__") or "@" in name:
            continue
        if name.startswith(CUSTOM_PREFIX):
            custom[name] = value
            continue
        field = entity_set.fields.get(name)
        if field is None:
            raise _unknown(name, type_name)
        if field.read_only:
            raise SandboxError(
                ErrorKind.READ_ONLY,
                f"The property '{name}' of '{NAMESPACE}.{type_name}' is read-only.",
            )
        values[name] = from_json(field, value)
    return values, custom


def new_id(given: str | None) -> str:
    return given or str(uuid.uuid4())


def internal_name(field_id: str) -> str:
    return CUSTOM_PREFIX + field_id.replace("-", "")


def custom_value(field: Doc, value: Any) -> Any:
    """`value` checked against the custom field's type (cost and number: numbers, flag: a
    boolean, date: a date-time, text and duration: strings); None clears it."""
    if value is None:
        return None
    kind = FIELD_TYPES.get(int(field["FieldType"]), "TEXT")
    wrong = SandboxError(
        ErrorKind.BAD_PAYLOAD,
        f"The value '{value}' is not valid for the custom field '{field['Name']}' of type {kind}.",
    )
    if kind in ("COST", "NUMBER"):
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise wrong
        try:
            return float(value)
        except ValueError:
            raise wrong from None
    if kind == "FLAG":
        if not isinstance(value, bool):
            raise wrong
        return value
    if kind == "DATE":
        if isinstance(value, dt.datetime):
            return value
        try:
            return parse_datetime(str(value))
        except ValueError:
            raise wrong from None
    if not isinstance(value, str):
        raise wrong
    return value
