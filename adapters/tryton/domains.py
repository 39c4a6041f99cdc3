"""`adapters.filters` as Tryton domains.

A domain is a list of clauses `[field, operator, value]` combined with AND, or led by "OR";
sub-lists nest. Tryton has no NOT, so negations are pushed down to the leaves (De Morgan) and
each leaf takes its opposite operator. Text matching is case-insensitive (`ilike`) with the
wildcards of the searched text escaped, as in Dataverse and Business Central.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from adapters.errors import ValidationError
from adapters.filters import And, Compare, Contains, Filter, In, Not, Or, StartsWith
from adapters.tryton.fields import FieldDef, Kind, to_tryton

_OPERATORS = {"eq": "=", "ne": "!=", "gt": ">", "ge": ">=", "lt": "<", "le": "<="}
_OPPOSITES = {"eq": "!=", "ne": "=", "gt": "<=", "ge": "<", "lt": ">=", "le": ">"}

FieldResolver = Callable[[str], FieldDef]


def to_domain(filter: Filter, entity: str, resolve: FieldResolver) -> list[Any]:
    """The domain for `filter`; `resolve` gives the field of a value name or raises."""
    return [_clause(filter, entity, resolve, negate=False)]


def escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _clause(  # noqa: PLR0911 - one branch per filter node
    node: Filter, entity: str, resolve: FieldResolver, *, negate: bool
) -> list[Any]:
    match node:
        case Compare(field=name, op=op, value=value):
            field = _searchable(entity, resolve(name))
            operator = (_OPPOSITES if negate else _OPERATORS)[op]
            return _leaf(entity, field, operator, _value(entity, field, value), negate=False)
        case In(field=name, values=values):
            field = _searchable(entity, resolve(name))
            converted = [_value(entity, field, value) for value in values]
            return _leaf(entity, field, "not in" if negate else "in", converted, negate=False)
        case Contains(field=name, value=text):
            field = _searchable(entity, resolve(name))
            pattern = f"%{escape_like(_text(entity, field, text))}%"
            return _leaf(entity, field, "ilike", pattern, negate=negate)
        case StartsWith(field=name, value=text):
            field = _searchable(entity, resolve(name))
            pattern = f"{escape_like(_text(entity, field, text))}%"
            return _leaf(entity, field, "ilike", pattern, negate=negate)
        case And(parts=parts):
            clauses = [_clause(part, entity, resolve, negate=negate) for part in parts]
            return ["OR", *clauses] if negate else ["AND", *clauses]
        case Or(parts=parts):
            clauses = [_clause(part, entity, resolve, negate=negate) for part in parts]
            return ["AND", *clauses] if negate else ["OR", *clauses]
        case Not(part=part):
            return _clause(part, entity, resolve, negate=not negate)
    raise ValidationError(f"{entity}: unsupported filter {node!r}", system="tryton")


def _leaf(entity: str, field: FieldDef, operator: str, value: Any, *, negate: bool) -> list[Any]:
    """One clause; `negate` asks for the opposite of a text match."""
    if field.present is not None:
        return _presence(entity, field, field.present, operator, value)
    if field.where is not None:
        relation, fixed, subfield = field.where
        inner = [list(clause) for clause in fixed]
        inner.append([subfield, operator, value])
        return [relation, "not where" if negate else "where", inner]
    path = field.search_path
    assert path is not None
    return [path, f"not {operator}" if negate else operator, value]


def _presence(entity: str, field: FieldDef, path: str, operator: str, value: Any) -> list[Any]:
    """`named = true` → the field holds something; `named = false` → it is empty."""
    if operator not in ("=", "!=") or not isinstance(value, bool):
        raise ValidationError(
            f"{entity}.{field.name}: only equal to true or false can be filtered on",
            system="tryton",
        )
    if (operator == "=") == value:
        return ["AND", [path, "!=", None], [path, "!=", ""]]
    return ["OR", [path, "=", None], [path, "=", ""]]


def _searchable(entity: str, field: FieldDef) -> FieldDef:
    if field.where is None and field.present is None and field.search_path is None:
        raise ValidationError(f"{entity}.{field.name}: cannot be filtered on", system="tryton")
    return field


def _value(entity: str, field: FieldDef, value: Any) -> Any:
    if field.kind is Kind.TEXT and not isinstance(value, str) and value is not None:
        raise ValidationError(
            f"{entity}.{field.name}: expected a string, got {type(value).__name__}",
            system="tryton",
        )
    return to_tryton(entity, field, value)


def _text(entity: str, field: FieldDef, text: Any) -> str:
    if field.kind is not Kind.TEXT:
        raise ValidationError(
            f"{entity}.{field.name}: text matching needs a text field", system="tryton"
        )
    if not isinstance(text, str):
        raise ValidationError(f"{entity}.{field.name}: expected a string", system="tryton")
    return text
