"""What a query selects below a field, so that a page can read every hop it needs at once.

`Selection` is a tree of field names (GraphQL spelling), merged over aliases, fragments and
repeated fields. Prefetching from it is an optimisation only: a resolver that finds nothing
prefetched loads its value through the DataLoaders, so a selection read too narrowly (a
directive, an unusual fragment) costs a little speed, never a wrong answer.
"""

from __future__ import annotations

from collections.abc import Awaitable, Iterable
from typing import Any, TypeVar, cast

from strawberry.types.nodes import FragmentSpread, InlineFragment, SelectedField, Selection

from schema.context import Info

T = TypeVar("T")
Tree = dict[str, "Tree"]


def _merge(into: Tree, selections: Iterable[Selection]) -> Tree:
    for selection in selections:
        if isinstance(selection, SelectedField):
            _merge(into.setdefault(selection.name, {}), selection.selections)
        elif isinstance(selection, FragmentSpread | InlineFragment):
            _merge(into, selection.selections)
    return into


def selected(info: Info, *path: str) -> Tree:
    """The fields selected below the current field, then down `path` (e.g. "edges", "node")."""
    tree: Tree = {}
    for field in info.selected_fields:
        _merge(tree, field.selections)
    for name in path:
        tree = tree.get(name, {})
    return tree


def deferred(awaitable: Awaitable[T]) -> T:
    """A resolver's answer that graphql-core will await: a plain `def` resolver may return
    the prefetched value itself, or this, which costs nothing when the value is there."""
    return cast(T, cast(Any, awaitable))
