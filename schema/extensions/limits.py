"""Limits every GraphQL operation must stay within, checked before any resolver runs.

Tokens are counted while parsing. Depth, aliases, fields (with fragments written out) and the
nesting of literal arguments are measured in one linear walk (`schema.extensions.shape`)
before graphql-core's rules run, so that a document over them costs no more than its size;
introspection and literal page sizes are validation rules; page sizes and the nesting of
JSON given as variables are checked before execution. All values come from the settings
(`GRAPHQL_MAX_*`). Parsing and validation depend on the document alone, so both are cached:
clients send the same few documents again and again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache, lru_cache, partial
from typing import Any

from graphql import (
    ArgumentNode,
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    IntValueNode,
    NoSchemaIntrospectionCustomRule,
    VariableNode,
    Visitor,
    parse,
    specified_rules,
    validate,
    visit,
)
from graphql import ExecutionResult as GraphQLExecutionResult
from graphql.validation import ASTValidationRule, ValidationRule
from strawberry.extensions import SchemaExtension

from gateway.settings import Settings
from schema.extensions.inputs import MAX_INPUT_DEPTH, variable_errors
from schema.extensions.shape import measure_all, operations

PAGE_SIZE_ARGUMENTS = frozenset({"first", "last"})
VALIDATION_CACHE = 256  # validated documents kept per process
PARSER_CACHE = 256  # parsed documents kept per process
_PAGE_VARIABLES_KEPT = 256


class PageSizeLimit(SchemaExtension):
    """Refuses `first`/`last` above the maximum anywhere in the document, literal or variable,
    so that no connection, present or future, is asked for more than the maximum at once.
    Literals are a validation rule (`DocumentValidation` runs it); variables are checked
    before execution starts."""

    def __init__(self, maximum: int) -> None:
        self.maximum = maximum

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


@dataclass(frozen=True, slots=True)
class DocumentLimits:
    max_depth: int
    max_aliases: int
    max_fields: int
    max_page_size: int


@lru_cache(maxsize=PARSER_CACHE)
def parse_document(query: str, max_tokens: int) -> DocumentNode:
    """The parsed document, cached: the request's checks and its execution share one parse.
    A document over `max_tokens` fails as soon as the lexer passes the limit."""
    return parse(query, max_tokens=max_tokens)


class DocumentParser(SchemaExtension):
    def __init__(self, max_tokens: int) -> None:
        self.max_tokens = max_tokens

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        if context.graphql_document is None and context.query:
            context.graphql_document = parse_document(context.query, self.max_tokens)
        yield


class DocumentValidation(SchemaExtension):
    """The linear limits first; graphql-core's rules only for a document within them."""

    def __init__(self, limits: DocumentLimits, rules: tuple[type[ASTValidationRule], ...]) -> None:
        self.limits = limits
        self.rules = rules

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None and context.pre_execution_errors is None:
            errors = list(_validated(context.schema._schema, document, self.rules, self.limits))
            if not errors and context.variables:
                errors = variable_errors(context.variables)
            context.pre_execution_errors = errors
        yield


@lru_cache(maxsize=VALIDATION_CACHE)
def _validated(
    schema: GraphQLSchema,
    document: DocumentNode,
    rules: tuple[type[ASTValidationRule], ...],
    limits: DocumentLimits,
) -> tuple[GraphQLError, ...]:
    errors = _shape_errors(schema, document, limits)
    if errors:
        return tuple(errors)
    return tuple(validate(schema, document, rules))


def _shape_errors(
    schema: GraphQLSchema, document: DocumentNode, limits: DocumentLimits
) -> list[GraphQLError]:
    errors: list[GraphQLError] = []
    shapes = measure_all(schema, document, default_page_size=limits.max_page_size)
    for operation in operations(document):
        shape = shapes[operation]
        name = operation.name.value if operation.name else "anonymous"
        if shape.depth > limits.max_depth:
            errors.append(
                GraphQLError(
                    f"'{name}' exceeds maximum operation depth of {limits.max_depth}", operation
                )
            )
        if shape.aliases > limits.max_aliases:
            errors.append(
                GraphQLError(
                    f"{shape.aliases} aliases found. Allowed: {limits.max_aliases}", operation
                )
            )
        if shape.fields > limits.max_fields:
            errors.append(
                GraphQLError(
                    f"'{name}' selects {shape.fields} fields once its fragments are written out; "
                    f"at most {limits.max_fields} are allowed",
                    operation,
                )
            )
        if shape.literal_depth > MAX_INPUT_DEPTH and shape.literal_argument is not None:
            argument = shape.literal_argument
            errors.append(
                GraphQLError(
                    f"{argument}: nested deeper than {MAX_INPUT_DEPTH} levels",
                    operation,
                    extensions={"code": "INVALID_INPUT", "field": [argument]},
                )
            )
    return errors


@cache
def _document_rules(introspection: bool, max_page_size: int) -> tuple[type[ASTValidationRule], ...]:
    """graphql-core's rules and ours, built once per combination of settings (a rule class
    made per request would defeat the validation cache)."""
    rules: list[type[ASTValidationRule]] = [*specified_rules, _page_size_rule(max_page_size)]
    if not introspection:
        rules.append(NoSchemaIntrospectionCustomRule)
    return tuple(rules)


def document_limits(settings: Settings) -> DocumentLimits:
    return DocumentLimits(
        max_depth=settings.graphql_max_depth,
        max_aliases=settings.graphql_max_aliases,
        max_fields=settings.graphql_max_fields,
        max_page_size=settings.graphql_max_page_size,
    )


def limit_extensions(settings: Settings) -> list[ExtensionFactory]:
    rules = _document_rules(settings.introspection_enabled, settings.graphql_max_page_size)
    return [
        partial(DocumentParser, max_tokens=settings.graphql_max_tokens),
        partial(DocumentValidation, document_limits(settings), rules),
        partial(PageSizeLimit, maximum=settings.graphql_max_page_size),
    ]
