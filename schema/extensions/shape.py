"""One walk of an operation that measures it the way the limits need, in time linear in the
document's size: each fragment is measured once and its measure reused at every spread.

A document may spread a fragment that spreads another twice, and so on: twenty such levels
stand for a million fields. Walking fragments where they are spread costs that million;
measuring each once and combining the measures (sums, maxima, products) costs twenty.

The measures:
- `depth`: how deeply fields nest (root fields are at 0);
- `aliases` and `fields`: how many there would be with every fragment written out in place;
- `cost`: how many objects the answer may hold: an object-typed field counts once per object
  around it, a list counts as many as its page size (`first`/`last`; for a plain list,
  `LIST_ESTIMATE`);
- `roles`: the roles that the fields declare (`schema.permissions.requires`), by field;
- `literal_depth`: how deeply an argument's literal value nests (JSON arguments).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    ArgumentNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    ObjectValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValueNode,
    VariableNode,
    is_composite_type,
)
from graphql.type.definition import GraphQLInterfaceType, GraphQLObjectType
from graphql.type.introspection import SchemaMetaFieldDef, TypeMetaFieldDef

from gateway.auth.roles import Role
from schema.permissions import required_role

PAGE_SIZE_ARGUMENTS = ("first", "last")
# Objects assumed in a list whose size no argument bounds (lines of a document, a mapping's
# field rows): a few dozen at most in real data.
LIST_ESTIMATE = 10
_DEFINITION = "strawberry-definition"


@dataclass
class Shape:
    depth: int = 0
    aliases: int = 0
    fields: int = 0
    cost: int = 0
    literal_depth: int = 0
    literal_argument: str | None = None
    roles: dict[str, Role] = field(default_factory=dict)

    def add(self, other: Shape, *, per_object: int = 1, below: int = 0) -> None:
        """Add what `other` selects, `below` levels deeper than this, in each of `per_object`
        objects (the items of a list: they multiply the cost, not the document)."""
        self.depth = max(self.depth, other.depth + below)
        self.aliases += other.aliases
        self.fields += other.fields
        self.cost += other.cost * per_object
        if other.literal_depth > self.literal_depth:
            self.literal_depth = other.literal_depth
            self.literal_argument = other.literal_argument
        self.roles.update(other.roles)


def operations(document: DocumentNode) -> list[OperationDefinitionNode]:
    return [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]


def measure_all(
    schema: GraphQLSchema, document: DocumentNode, *, default_page_size: int
) -> dict[OperationDefinitionNode, Shape]:
    """The shape of every operation of `document` (page sizes given as variables unknown),
    measuring each fragment once for all of them."""
    walk = _Walk(schema, document, {}, default_page_size)
    return {operation: walk.operation(operation) for operation in operations(document)}


def measure(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation: OperationDefinitionNode,
    variables: Mapping[str, Any] | None = None,
    *,
    default_page_size: int,
) -> Shape:
    """The shape of `operation`; fields the schema does not know are left out (validation
    reports them)."""
    return _Walk(schema, document, variables or {}, default_page_size).operation(operation)


class _Walk:
    def __init__(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        variables: Mapping[str, Any],
        default_page_size: int,
    ) -> None:
        self.schema = schema
        self.variables = variables
        self.default_page_size = default_page_size
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        # A fragment's shape depends on the page size its lists inherit, nothing else.
        self.measured: dict[tuple[str, int | None], Shape] = {}
        self.in_progress: set[str] = set()

    def operation(self, operation: OperationDefinitionNode) -> Shape:
        root = self.schema.get_root_type(operation.operation)
        if root is None:
            return Shape()
        return self.selections(operation.selection_set, root, None)

    def selections(
        self, selection_set: SelectionSetNode, parent: GraphQLNamedType, page: int | None
    ) -> Shape:
        shape = Shape()
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                shape.add(self.field(selection, parent, page))
            elif isinstance(selection, InlineFragmentNode):
                on = parent
                if selection.type_condition is not None:
                    on = self.schema.get_type(selection.type_condition.name.value) or parent
                shape.add(self.selections(selection.selection_set, on, page))
            elif isinstance(selection, FragmentSpreadNode):
                shape.add(self.fragment(selection.name.value, page))
        return shape

    def fragment(self, name: str, page: int | None) -> Shape:
        key = (name, page)
        known = self.measured.get(key)
        if known is not None:
            return known
        definition = self.fragments.get(name)
        if definition is None or name in self.in_progress:  # unknown or cyclic: validation says so
            return Shape()
        on = self.schema.get_type(definition.type_condition.name.value)
        if on is None:
            return Shape()
        self.in_progress.add(name)
        try:
            shape = self.selections(definition.selection_set, on, page)
        finally:
            self.in_progress.discard(name)
        self.measured[key] = shape
        return shape

    def field(self, node: FieldNode, parent: GraphQLNamedType, page: int | None) -> Shape:
        shape = Shape(fields=1, aliases=1 if node.alias is not None else 0)
        self._literals(node.arguments or (), shape)
        definition = self._definition(parent, node.name.value)
        if definition is None:
            return shape
        role = _declared_role(definition)
        if role is not None:
            shape.roles[f"{parent.name}.{node.name.value}"] = role
        own_page = self._page_size(node.arguments or ())
        if own_page is None and any(name in definition.args for name in PAGE_SIZE_ARGUMENTS):
            own_page = self.default_page_size
        # Lists directly in this field's answer (a connection's edges) take its page size.
        times, named = _unwrap(definition.type, page if own_page is None else own_page)
        if node.selection_set is not None and is_composite_type(named):
            inner = self.selections(node.selection_set, named, own_page)
            shape.add(inner, per_object=times, below=1)
        if is_composite_type(named):
            shape.cost += times
        return shape

    def _definition(self, parent: GraphQLNamedType, name: str) -> GraphQLField | None:
        if name == "__schema" and parent is self.schema.query_type:
            return SchemaMetaFieldDef
        if name == "__type" and parent is self.schema.query_type:
            return TypeMetaFieldDef
        if isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
            found: GraphQLField | None = parent.fields.get(name)
            return found
        return None

    def _page_size(self, arguments: tuple[ArgumentNode, ...]) -> int | None:
        for argument in arguments:
            if argument.name.value not in PAGE_SIZE_ARGUMENTS:
                continue
            value: Any = None
            if isinstance(argument.value, IntValueNode):
                value = int(argument.value.value)
            elif isinstance(argument.value, VariableNode):
                value = self.variables.get(argument.value.name.value)
            if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
                return value
        return None

    def _literals(self, arguments: tuple[ArgumentNode, ...], shape: Shape) -> None:
        for argument in arguments:
            depth = _literal_depth(argument.value)
            if depth > shape.literal_depth:
                shape.literal_depth = depth
                shape.literal_argument = argument.name.value


def _unwrap(type_: Any, page: int | None) -> tuple[int, GraphQLNamedType]:
    """How many of the named type one value of `type_` holds, and the named type."""
    times = 1
    while isinstance(type_, GraphQLNonNull | GraphQLList):
        if isinstance(type_, GraphQLList):
            times *= page if page is not None else LIST_ESTIMATE
            page = None  # a list of lists: the inner ones are plain lists
        type_ = type_.of_type
    return times, type_


def _literal_depth(value: ValueNode) -> int:
    """Nesting of a literal: 0 for a scalar, 1 for a flat list or object, and so on. The
    parser has already nested this deep, with more stack per level than this takes."""
    if isinstance(value, ObjectValueNode):
        return 1 + max((_literal_depth(f.value) for f in value.fields), default=0)
    if isinstance(value, ListValueNode):
        return 1 + max((_literal_depth(v) for v in value.values), default=0)
    return 0


def _declared_role(definition: GraphQLField) -> Role | None:
    strawberry_field = (definition.extensions or {}).get(_DEFINITION)
    return required_role(strawberry_field) if strawberry_field is not None else None
