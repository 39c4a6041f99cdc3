"""Limits every GraphQL operation must stay within, checked before any resolver runs.

Tokens are counted while parsing; depth, aliases, introspection and page sizes are validation
rules. All values come from the settings (`GRAPHQL_MAX_*`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from functools import partial
from typing import Any

from graphql import ArgumentNode, GraphQLError, IntValueNode, VariableNode
from graphql.validation import ValidationRule
from strawberry.extensions import (
    DisableIntrospection,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
    SchemaExtension,
)

from gateway.settings import Settings

PAGE_SIZE_ARGUMENTS = frozenset({"first", "last"})


class PageSizeLimit(SchemaExtension):
    """Refuses `first`/`last` above the maximum anywhere in the document, literal or variable,
    so that no connection, present or future, is asked for more than the maximum at once."""

    def __init__(self, maximum: int) -> None:
        self.maximum = maximum

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        rule = _page_size_rule(self.maximum, context.variables or {})
        context.validation_rules = (*context.validation_rules, rule)
        yield


def _page_size_rule(maximum: int, variables: Mapping[str, Any]) -> type[ValidationRule]:
    class PageSizeRule(ValidationRule):
        def enter_argument(self, node: ArgumentNode, *_: Any) -> None:
            name = node.name.value
            if name not in PAGE_SIZE_ARGUMENTS:
                return
            value: Any = None
            if isinstance(node.value, IntValueNode):
                value = int(node.value.value)
            elif isinstance(node.value, VariableNode):
                value = variables.get(node.value.name.value)
            if isinstance(value, int) and not isinstance(value, bool) and value > maximum:
                self.report_error(
                    GraphQLError(
                        f"{name}: must be at most {maximum}",
                        node,
                        extensions={"code": "INVALID_INPUT", "field": [name]},
                    )
                )

    return PageSizeRule


ExtensionFactory = type[SchemaExtension] | Callable[[], SchemaExtension]


def limit_extensions(settings: Settings) -> list[ExtensionFactory]:
    extensions: list[ExtensionFactory] = [
        partial(MaxTokensLimiter, max_token_count=settings.graphql_max_tokens),
        partial(QueryDepthLimiter, max_depth=settings.graphql_max_depth),
        partial(MaxAliasesLimiter, max_alias_count=settings.graphql_max_aliases),
        partial(PageSizeLimit, maximum=settings.graphql_max_page_size),
    ]
    if not settings.introspection_enabled:
        extensions.append(DisableIntrospection)
    return extensions
