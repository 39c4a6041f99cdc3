"""The input of `updateTableMapping`, turned into a changed `TableMapping`, and every problem
with it turned into a user error naming the input field at fault."""

from __future__ import annotations

import re
from typing import Any

import strawberry
from pydantic import ValidationError
from strawberry.scalars import JSON

from gateway.mappings import model
from gateway.security.inputs import InputRejectedError, require_plain_text
from schema.errors import UserError, UserErrorCode, user_error
from schema.types.enums import ConflictPolicy, DeletionPolicy, LookupBy, MappingDirection

SCALARS = (str, int, float, bool, type(None))
NAME_LENGTH = 200


@strawberry.input(description="A field and its value (a template default, a filter condition).")
class FieldValueInput:
    field: str
    value: JSON | None = None


@strawberry.input
class OptionPairInput:
    erp: JSON | None = None
    crm: JSON | None = None


@strawberry.input
class FieldLookupInput:
    mapping: str
    erp_by: LookupBy = LookupBy.ID
    crm_by: LookupBy = LookupBy.ID


@strawberry.input(description="One field row; the rows given replace all of the mapping's rows.")
class FieldMappingInput:
    erp_field: str | None = None
    crm_field: str | None = None
    direction: MappingDirection = MappingDirection.BIDIRECTIONAL
    constant: JSON | None = None
    transform: str | None = None
    option_map: list[OptionPairInput] | None = None
    lookup: FieldLookupInput | None = None


@strawberry.input(description="What to change in a table mapping; what is not given stays.")
class UpdateTableMappingInput:
    name: str
    direction: MappingDirection | None = None
    sync_only_coupled: bool | None = None
    conflict_policy: ConflictPolicy | None = None
    deletion_policy: DeletionPolicy | None = None
    enabled: bool | None = None
    depends_on: list[str] | None = None
    erp_key_field: str | None = strawberry.field(
        default=None, description='The ERP field holding the natural key; "" for none.'
    )
    crm_key_field: str | None = strawberry.field(
        default=None, description='The CRM field holding the natural key; "" for none.'
    )
    erp_filter: list[FieldValueInput] | None = None
    crm_filter: list[FieldValueInput] | None = None
    erp_template: list[FieldValueInput] | None = None
    crm_template: list[FieldValueInput] | None = None
    fields: list[FieldMappingInput] | None = None
    description: str | None = None


class MappingInputError(Exception):
    def __init__(self, errors: list[UserError]) -> None:
        super().__init__("; ".join(error.message for error in errors))
        self.errors = errors


def _text(value: Any, *path: str, max_length: int = NAME_LENGTH) -> str:
    try:
        return require_plain_text(value, ".".join(path), max_length=max_length)
    except InputRejectedError as exc:
        raise MappingInputError(
            [user_error(UserErrorCode.INVALID_INPUT, f"{'.'.join(path)}: {exc.reason}", *path)]
        ) from None


def _scalar(value: Any, *path: str) -> model.Scalar:
    if not isinstance(value, SCALARS):
        raise MappingInputError(
            [
                user_error(
                    UserErrorCode.INVALID_INPUT,
                    f"{'.'.join(path)}: must be a string, a number, a boolean or null",
                    *path,
                )
            ]
        )
    if isinstance(value, str):
        _text(value, *path, max_length=10_000)
    return value


def _values(items: list[FieldValueInput], *path: str) -> dict[str, model.Scalar]:
    values: dict[str, model.Scalar] = {}
    for index, item in enumerate(items):
        name = _text(item.field, *path, str(index), "field")
        values[name] = _scalar(item.value, *path, str(index), "value")
    return values


def _conditions(items: list[FieldValueInput], *path: str) -> dict[str, model.FilterValue]:
    """Filter conditions: a value, or a list of the values a field may hold."""
    values: dict[str, model.FilterValue] = {}
    for index, item in enumerate(items):
        name = _text(item.field, *path, str(index), "field")
        at = (*path, str(index), "value")
        if isinstance(item.value, list):
            values[name] = tuple(_scalar(v, *at, str(i)) for i, v in enumerate(item.value))
        else:
            values[name] = _scalar(item.value, *at)
    return values


def _row(row: FieldMappingInput, index: int) -> dict[str, Any]:
    at = ("input", "fields", str(index))
    lookup = None
    if row.lookup is not None:
        lookup = {
            "mapping": _text(row.lookup.mapping, *at, "lookup", "mapping"),
            "erp_by": row.lookup.erp_by,
            "crm_by": row.lookup.crm_by,
        }
    return {
        "erp_field": None if row.erp_field is None else _text(row.erp_field, *at, "erpField"),
        "crm_field": None if row.crm_field is None else _text(row.crm_field, *at, "crmField"),
        "direction": row.direction,
        "constant": _scalar(row.constant, *at, "constant"),
        "transform": None if row.transform is None else _text(row.transform, *at, "transform"),
        "option_map": None
        if row.option_map is None
        else [
            (
                _scalar(pair.erp, *at, "optionMap", str(i), "erp"),
                _scalar(pair.crm, *at, "optionMap", str(i), "crm"),
            )
            for i, pair in enumerate(row.option_map)
        ],
        "lookup": lookup,
    }


def changed_mapping(
    current: model.TableMapping, change: UpdateTableMappingInput
) -> model.TableMapping:
    """The mapping with the change applied, checked for shape (not yet against the systems)."""
    doc = current.model_dump()
    simple = {
        "direction": change.direction,
        "sync_only_coupled": change.sync_only_coupled,
        "conflict_policy": change.conflict_policy,
        "deletion_policy": change.deletion_policy,
        "enabled": change.enabled,
    }
    doc.update({name: value for name, value in simple.items() if value is not None})
    if change.description is not None:
        doc["description"] = _text(change.description, "input", "description", max_length=2000)
    if change.depends_on is not None:
        doc["depends_on"] = tuple(
            _text(name, "input", "dependsOn", str(i)) for i, name in enumerate(change.depends_on)
        )
    for name, given in (
        ("erp_key_field", change.erp_key_field),
        ("crm_key_field", change.crm_key_field),
    ):
        if given is not None:
            doc[name] = _text(given, "input", _camel(name)) or None
    for name in ("erp_filter", "crm_filter", "erp_template", "crm_template"):
        items = getattr(change, name)
        if items is not None:
            read = _conditions if name.endswith("filter") else _values
            doc[name] = read(items, "input", _camel(name))
    if change.fields is not None:
        doc["fields"] = tuple(_row(row, index) for index, row in enumerate(change.fields))
    try:
        return model.TableMapping.model_validate(doc)
    except ValidationError as exc:
        raise MappingInputError(
            [
                user_error(
                    UserErrorCode.INVALID_INPUT,
                    f"{'.'.join(_path(error['loc']))}: {error['msg']}",
                    *_path(error["loc"]),
                )
                for error in exc.errors()
            ]
        ) from None


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _path(loc: tuple[int | str, ...]) -> list[str]:
    parts = ["input"]
    for part in loc:
        if isinstance(part, int):
            parts.append(str(part))
        elif part not in ("function-after", "tuple"):
            parts.append(_camel(part))
    return parts


_ROW = re.compile(r"^row (?P<key>[^ :]+)(?P<rest>.*)$")


def problem_field(mapping: model.TableMapping, problem: str) -> list[str]:
    """The input field a validation problem is about (see `gateway.mappings.validation`)."""
    prefix = f"{mapping.name}: "
    if problem.startswith("dependency cycle"):
        return ["input", "dependsOn"]
    if not problem.startswith(prefix):
        return ["input"]
    text = problem[len(prefix) :]
    side = "erp" if " ERP " in f" {text} " else "crm"
    match = _ROW.match(text)
    if match is not None:
        return _row_field(mapping, match["key"], match["rest"], side)
    places = {"the key field": "KeyField", "the filter": "Filter", "the template": "Template"}
    for where, field in places.items():
        if text.startswith(where):
            return ["input", f"{side}{field}"]
    if "depend" in text or "couplings of" in text:
        return ["input", "dependsOn"]
    return ["input", "name"]


def _row_field(mapping: model.TableMapping, key: str, rest: str, side: str) -> list[str]:
    index = next((str(i) for i, row in enumerate(mapping.fields) if row.key == key), None)
    at = ["input", "fields", index] if index is not None else ["input", "fields"]
    if "transform" in rest:
        return [*at, "transform"]
    if "depends_on" in rest:
        return ["input", "dependsOn"]
    if "look" in rest:
        return [*at, "lookup"]
    return [*at, f"{side}Field"]
