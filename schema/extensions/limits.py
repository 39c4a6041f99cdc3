"""Limits every GraphQL operation must stay within, checked before any resolver runs.

Tokens are counted while parsing; depth, aliases, introspection and literal page sizes are
validation rules, page sizes given as variables are checked before execution. All values come
from the settings (`GRAPHQL_MAX_*`). The rules depend on the document alone, so a document's
validation is done once and cached: clients send the same few documents again and again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from functools import cache, partial
from typing import Any

from graphql import (
    ArgumentNode,
    DocumentNode,
    GraphQLError,
    IntValueNode,
    NoSchemaIntrospectionCustomRule,
    VariableNode,
    Visitor,
    visit,
)
from graphql import ExecutionResult as GraphQLExecutionResult
from graphql.validation import ASTValidationRule, ValidationRule
from strawberry.extensions import (
    AddValidationRules,
    MaxTokensLimiter,
    SchemaExtension,
    ValidationCache,
)
from strawberry.extensions.max_aliases import create_validator as alias_rule
from strawberry.extensions.query_depth_limiter import create_validator as depth_rule

from gateway.settings import Settings

PAGE_SIZE_ARGUMENTS = frozenset({"first", "last"})
VALIDATION_CACHE = 256  # validated documents kept per process
_PAGE_VARIABLES_KEPT = 256


class PageSizeLimit(SchemaExtension):
    """Refuses `first`/`last` above the maximum anywhere in the document, literal or variable,
    so that no connection, present or future, is asked for more than the maximum at once.
    Literals are a validation rule; variables are checked before execution starts."""

    def __init__(self, maximum: int) -> None:
        self.maximum = maximum

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        context.validation_rules = (*context.validation_rules, _page_size_rule(self.maximum))
        yield

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None and context.variables and context.result is None:
            errors = _variable_errors(document, context.variables, self.maximum)
            if errors:
                context.result = GraphQLExecutionResult(data=None, errors=errors)
        yield


def _page_size_error(name: str, maximum: int, node: ArgumentNode) -> GraphQLError:
    return GraphQLError(
        f"{name}: must be at most {maximum}",
        node,
        extensions={"code": "INVALID_INPUT", "field": [name]},
    )


@cache
def _page_size_rule(maximum: int) -> type[ValidationRule]:
    """One rule class per maximum, so that a document's validation can be cached."""

    class PageSizeRule(ValidationRule):
        def enter_argument(self, node: ArgumentNode, *_: Any) -> None:
            name = node.name.value
            value = node.value
            if (
                name in PAGE_SIZE_ARGUMENTS
                and isinstance(value, IntValueNode)
                and int(value.value) > maximum
            ):
                self.report_error(_page_size_error(name, maximum, node))

    return PageSizeRule


class _PageVariables(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, ArgumentNode]] = []

    def enter_argument(self, node: ArgumentNode, *_: Any) -> None:
        if node.name.value in PAGE_SIZE_ARGUMENTS and isinstance(node.value, VariableNode):
            self.found.append((node.value.name.value, node))


# Parsed documents are cached (`ParserCache`), so the same object comes back for the same
# text: its page-size variables are looked up once. The document is kept with its entry, so
# its id cannot be reused while the entry lives.
_page_variables: dict[int, tuple[DocumentNode, list[tuple[str, ArgumentNode]]]] = {}


def _variable_errors(
    document: DocumentNode, variables: Mapping[str, Any], maximum: int
) -> list[GraphQLError]:
    entry = _page_variables.get(id(document))
    if entry is None or entry[0] is not document:
        visitor = _PageVariables()
        visit(document, visitor)
        if len(_page_variables) >= _PAGE_VARIABLES_KEPT:
            _page_variables.clear()
        entry = _page_variables[id(document)] = (document, visitor.found)
    errors = []
    for variable, node in entry[1]:
        value = variables.get(variable)
        if isinstance(value, int) and not isinstance(value, bool) and value > maximum:
            errors.append(_page_size_error(node.name.value, maximum, node))
    return errors


ExtensionFactory = type[SchemaExtension] | Callable[[], SchemaExtension]


@cache
def _document_rules(
    max_depth: int, max_aliases: int, introspection: bool
) -> tuple[type[ASTValidationRule], ...]:
    """The rules of depth, aliases and introspection, built once per combination of settings
    (a rule class made per request would defeat the validation cache)."""
    rules: list[type[ASTValidationRule]] = [
        depth_rule(max_depth, None),
        alias_rule(max_aliases),
    ]
    if not introspection:
        rules.append(NoSchemaIntrospectionCustomRule)
    return tuple(rules)


def limit_extensions(settings: Settings) -> list[ExtensionFactory]:
    rules = _document_rules(
        settings.graphql_max_depth,
        settings.graphql_max_aliases,
        settings.introspection_enabled,
    )
    return [
        partial(MaxTokensLimiter, max_token_count=settings.graphql_max_tokens),
        partial(AddValidationRules, list(rules)),
        partial(PageSizeLimit, maximum=settings.graphql_max_page_size),
        # Last: by the time it validates, every extension has added its rules.
        partial(ValidationCache, maxsize=VALIDATION_CACHE),
    ]
