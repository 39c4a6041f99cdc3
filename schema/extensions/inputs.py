"""How deeply JSON given as variables may nest, checked before anything runs.

A JSON variable nested hundreds of levels deep costs nothing to send and breaks whatever walks
it recursively later (the audit of the call, a driver encoding it). No real input nests more
than a few levels: a template value, a filter condition."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphql import GraphQLError

MAX_INPUT_DEPTH = 32


def nesting(value: Any, limit: int) -> int:
    """How deeply `value` nests (0 for a scalar), counted without recursion and only up to
    one past `limit`."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, Mapping):
            children: Any = item.values()
        elif isinstance(item, list | tuple):
            children = item
        else:
            continue
        depth += 1
        deepest = max(deepest, depth)
        if depth > limit:
            break
        stack.extend((child, depth) for child in children)
    return deepest


def variable_errors(variables: Mapping[str, Any]) -> list[GraphQLError]:
    """An INVALID_INPUT error naming each variable that nests deeper than `MAX_INPUT_DEPTH`."""
    return [
        GraphQLError(
            f"{name}: nested deeper than {MAX_INPUT_DEPTH} levels",
            extensions={"code": "INVALID_INPUT", "field": [name]},
        )
        for name, value in variables.items()
        if nesting(value, MAX_INPUT_DEPTH) > MAX_INPUT_DEPTH
    ]
