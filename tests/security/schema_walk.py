"""Calls to every root field of a schema, built from the schema itself, so that tests driven
by them cover fields added later without anyone updating a list.

Required arguments are filled minimally; one argument (or one field inside an input object)
can be set to a chosen value. Values always travel as variables."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import strawberry
from graphql import (
    GraphQLArgument,
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    get_named_type,
    is_composite_type,
)
from graphql import build_schema as parse_sdl

Path = tuple[str, ...]  # argument name, then input field names; "[]" is a list's element
TEXT_SCALARS = frozenset({"String", "ID"})
MAX_INPUT_DEPTH = 4

_SAMPLES: dict[str, Any] = {
    "String": "x",
    "ID": "x",
    "Int": 1,
    "Float": 1.0,
    "Boolean": False,
    "DateTime": "2024-01-01T00:00:00+00:00",
    "Date": "2024-01-01",
    "Time": "00:00:00",
    "Decimal": "1",
    "UUID": "00000000-0000-0000-0000-000000000000",
    "JSON": {},
}


@dataclass(frozen=True)
class RootField:
    operation: str  # "query" or "mutation"
    name: str
    field: GraphQLField

    @property
    def finds_records(self) -> bool:
        """A lookup (nullable object), a list or a connection: its answer can be empty."""
        type_ = self.field.type
        named = get_named_type(type_)
        if isinstance(named, GraphQLObjectType) and "edges" in named.fields:
            return True
        inner = type_.of_type if isinstance(type_, GraphQLNonNull) else type_
        return isinstance(inner, GraphQLList) or (
            not isinstance(type_, GraphQLNonNull) and is_composite_type(named)
        )

    @staticmethod
    def found_nothing(value: Any) -> bool:
        return value in (None, []) or (isinstance(value, dict) and value.get("edges") == [])

    def call(self, path: Path | None = None, value: Any = None) -> tuple[str, dict[str, Any]]:
        """A document calling the field and its variables; `path` set to `value` if given."""
        definitions, arguments, variables = [], [], {}
        for index, (arg_name, argument) in enumerate(self.field.args.items()):
            targeted = path is not None and path[0] == arg_name
            if not targeted and not _required(argument):
                continue
            variable = f"a{index}"
            definitions.append(f"${variable}: {argument.type}")
            arguments.append(f"{arg_name}: ${variable}")
            filled = minimal(argument.type)
            if targeted:
                assert path is not None
                filled = _set(argument.type, filled, path[1:], value)
            variables[variable] = filled
        header = f"({', '.join(definitions)})" if definitions else ""
        call = f"{self.name}({', '.join(arguments)})" if arguments else self.name
        named = get_named_type(self.field.type)
        selection = ""
        if isinstance(named, GraphQLObjectType) and "edges" in named.fields:
            selection = " { edges { cursor } }"
        elif is_composite_type(named):
            selection = " { __typename }"
        return f"{self.operation} Probe{header} {{ {call}{selection} }}", variables

    def text_paths(self) -> list[Path]:
        """Every place in the arguments where a String or an ID goes."""
        paths: list[Path] = []
        for arg_name, argument in self.field.args.items():
            paths.extend((arg_name, *rest) for rest in _text_paths(argument.type, 0))
        return paths


def graphql_schema(schema: strawberry.Schema) -> GraphQLSchema:
    return parse_sdl(str(schema))


def root_fields(schema: strawberry.Schema) -> Iterator[RootField]:
    parsed = graphql_schema(schema)
    for operation, root in (("query", parsed.query_type), ("mutation", parsed.mutation_type)):
        if root is None:
            continue
        for name, field in root.fields.items():
            yield RootField(operation, name, field)


def minimal(type_: GraphQLInputType) -> Any:
    """The smallest valid value of a type (None where null is allowed)."""
    if not isinstance(type_, GraphQLNonNull):
        return None
    inner = type_.of_type
    if isinstance(inner, GraphQLList):
        return []
    if isinstance(inner, GraphQLEnumType):
        return next(iter(inner.values))
    if isinstance(inner, GraphQLInputObjectType):
        fields = inner.fields.items()
        if getattr(inner, "is_one_of", False):
            name, field = next(iter(fields))
            return {name: minimal(GraphQLNonNull(get_named_type(field.type)))}  # type: ignore[arg-type]
        return {
            name: minimal(field.type)
            for name, field in fields
            if isinstance(field.type, GraphQLNonNull) and field.default_value is _undefined()
        }
    assert isinstance(inner, GraphQLScalarType)
    return _SAMPLES.get(inner.name, "x")


def _required(argument: GraphQLArgument) -> bool:
    return isinstance(argument.type, GraphQLNonNull) and argument.default_value is _undefined()


def _undefined() -> Any:
    from graphql.pyutils import Undefined

    return Undefined


def _text_paths(type_: GraphQLInputType, depth: int) -> Iterator[Path]:
    inner = type_.of_type if isinstance(type_, GraphQLNonNull) else type_
    if isinstance(inner, GraphQLList):
        yield from (("[]", *rest) for rest in _text_paths(inner.of_type, depth))
    elif isinstance(inner, GraphQLScalarType) and inner.name in TEXT_SCALARS:
        yield ()
    elif isinstance(inner, GraphQLInputObjectType) and depth < MAX_INPUT_DEPTH:
        for name, field in inner.fields.items():
            yield from ((name, *rest) for rest in _text_paths(field.type, depth + 1))


def _set(type_: GraphQLInputType, current: Any, path: Path, value: Any) -> Any:
    if not path:
        return value
    inner = type_.of_type if isinstance(type_, GraphQLNonNull) else type_
    head, rest = path[0], path[1:]
    if head == "[]":
        assert isinstance(inner, GraphQLList)
        return [_set(inner.of_type, minimal(inner.of_type), rest, value)]
    assert isinstance(inner, GraphQLInputObjectType)
    field_type = inner.fields[head].type
    base = dict(current) if isinstance(current, dict) else minimal(GraphQLNonNull(inner))
    if getattr(inner, "is_one_of", False):
        base = {}
    base[head] = _set(field_type, base.get(head, minimal(field_type)), rest, value)
    return base
