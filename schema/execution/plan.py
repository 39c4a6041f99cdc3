"""An operation's execution plan: its fields collected once, by type, as graphql-core would.

graphql-core collects the fields of every object again for each execution and executes each
field through the same general path: look the field up, build its resolve info, call the
resolver (strawberry's wrapper around it), then find out what kind of type it returns. For a
validated query without directives, all of that but the call depends on the document alone.
A plan works it out once, as steps per object type:

- `LeafStep`: a plain field (no resolver of its own, no arguments, no extensions such as a
  permission check) of a scalar or enum type, or `__typename`: read and coerced in place;
- `CallStep`: a plain field of an object or list type, or a synchronous strawberry resolver
  without arguments or extensions: called directly (`schema.execution.resolvers`);
- `FieldStep`: any other field (arguments, async resolvers, permission checks, introspection),
  executed by graphql-core's `execute_field` as usual.

A `CallStep` or `FieldStep` whose values are objects (or lists of them) has an `ObjectPlan` for
them, found by the step's `FieldDetailsList`, which graphql-core hands back when it completes
the field. Fields are grouped by graphql-core's own `collect_fields` / `collect_subfields`, so
a plan has the order, aliases and merging the executor would have. Abstract types (interfaces,
unions) are left to graphql-core, with everything below them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from math import isfinite
from typing import Any

from graphql import (
    GRAPHQL_MAX_INT,
    GRAPHQL_MIN_INT,
    FieldNode,
    FragmentSpreadNode,
    GraphQLBoolean,
    GraphQLField,
    GraphQLFloat,
    GraphQLID,
    GraphQLInt,
    GraphQLLeafType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    GraphQLString,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    is_leaf_type,
)
from graphql.execution.collect_fields import (
    FieldDetailsList,
    FragmentDetails,
    GroupedFieldSet,
    collect_fields,
    collect_subfields,
)
from graphql.execution.values import VariableValues
from graphql.type.introspection import TypeNameMetaFieldDef
from strawberry.schema.config import StrawberryConfig

from schema.execution.resolvers import Read, Resolve, direct_resolve, plain_read, strawberry_config


@dataclass(frozen=True, slots=True, eq=False)
class LeafStep:
    """A plain scalar or enum field: its value is read and coerced where it is needed."""

    key: str
    field_details: FieldDetailsList
    field_def: GraphQLField
    leaf: GraphQLLeafType
    non_null: bool
    read: Read
    null_message: str
    # The Python type whose values the scalar's output coercion returns unchanged (given
    # `within`): a value of exactly that type is the answer as it is.
    exact: type | None = None
    within: Callable[[Any], bool] | None = None


@dataclass(frozen=True, slots=True, eq=False)
class CallStep:
    """A field whose value comes from `resolve(source, info)` without strawberry's wrapper."""

    key: str
    field_details: FieldDetailsList
    field_def: GraphQLField
    resolve: Resolve
    nodes: tuple[FieldNode, ...]
    # The plan of the field's value when it is an object (`T` or `T!`, not a list of them).
    target: ObjectPlan | None


@dataclass(frozen=True, slots=True, eq=False)
class FieldStep:
    """Any other field: executed by graphql-core; its objects, if any, follow a plan."""

    key: str
    field_details: FieldDetailsList


Step = LeafStep | CallStep | FieldStep


@dataclass(eq=False)
class ObjectPlan:
    """The steps that complete a value of `object_type`; `non_null_type` is the `T!` that
    wraps it in the field's type, if one does."""

    object_type: GraphQLObjectType
    non_null_type: GraphQLNonNull[Any] | None
    steps: tuple[Step, ...] = ()


@dataclass(eq=False)
class Plan:
    root: tuple[Step, ...]
    # By `id` of a step's `field_details`: the plan keeps those lists alive, and graphql-core
    # hands the same list back when it completes the field's value.
    objects: dict[int, ObjectPlan] = field(default_factory=dict)


def plan_operation(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    fragments: Mapping[str, FragmentDetails],
    variable_values: VariableValues,
) -> Plan | None:
    """The plan of a query, or None when it must run as graphql-core runs it: mutations and
    subscriptions, directives anywhere (`@skip`/`@include` make the fields depend on the
    variables), fragments with arguments."""
    if operation.operation is not OperationType.QUERY or _has_directives(operation, fragments):
        return None
    if any(details.variable_signatures for details in fragments.values()):
        return None
    root_type = schema.query_type
    if root_type is None:
        return None
    collected = collect_fields(schema, dict(fragments), variable_values, root_type, operation)
    if collected.new_defer_usages:
        return None
    planner = _Planner(schema, operation, fragments, variable_values)
    steps = planner.steps(root_type, collected.grouped_field_set)
    return None if steps is None else Plan(root=steps, objects=planner.objects)


class _Planner:
    def __init__(
        self,
        schema: GraphQLSchema,
        operation: OperationDefinitionNode,
        fragments: Mapping[str, FragmentDetails],
        variable_values: VariableValues,
    ) -> None:
        self.schema = schema
        self.operation = operation
        self.fragments = dict(fragments)
        self.variable_values = variable_values
        self.config: StrawberryConfig | None = strawberry_config(schema)
        self.objects: dict[int, ObjectPlan] = {}

    def steps(
        self, parent_type: GraphQLObjectType, grouped: GroupedFieldSet
    ) -> tuple[Step, ...] | None:
        steps: list[Step] = []
        for key, details in grouped.items():
            if any(detail.fragment_variable_values is not None for detail in details):
                return None
            field_def = self.schema.get_field(parent_type, details[0].node.name.value)
            if field_def is None:  # validation refuses these; graphql-core would skip it
                return None
            leaf = self._leaf(parent_type, key, details, field_def)
            if leaf is not None:
                steps.append(leaf)
                continue
            if not self._plan_objects(details, field_def.type):
                return None
            target = self.objects.get(id(details))
            if target is not None and field_def.type not in (
                target.object_type,
                target.non_null_type,
            ):
                target = None  # a list: graphql-core completes it, its items follow the plan
            steps.append(self._call(key, details, field_def, target))
        return tuple(steps)

    def _leaf(
        self,
        parent_type: GraphQLObjectType,
        key: str,
        details: FieldDetailsList,
        field_def: GraphQLField,
    ) -> LeafStep | None:
        return_type = field_def.type
        named = return_type.of_type if isinstance(return_type, GraphQLNonNull) else return_type
        if not is_leaf_type(named) or field_def.args or details[0].node.arguments:
            return None
        read: Read | None = None
        if field_def is TypeNameMetaFieldDef:
            read = _type_name(parent_type.name)
        elif self.config is not None:
            read = plain_read(field_def)
        if read is None:
            return None
        exact, within = _unchanged(named)
        return LeafStep(
            key=key,
            field_details=details,
            field_def=field_def,
            leaf=named,
            non_null=isinstance(return_type, GraphQLNonNull),
            read=read,
            null_message="Cannot return null for non-nullable field"
            f" {parent_type.name}.{details[0].node.name.value}.",
            exact=exact,
            within=within,
        )

    def _call(
        self,
        key: str,
        details: FieldDetailsList,
        field_def: GraphQLField,
        target: ObjectPlan | None,
    ) -> Step:
        if self.config is None or details[0].node.arguments:
            return FieldStep(key, details)
        read = plain_read(field_def)
        resolve = _ignoring_info(read) if read else direct_resolve(field_def, self.config)
        if resolve is None:
            return FieldStep(key, details)
        nodes = tuple(detail.node for detail in details)
        return CallStep(key, details, field_def, resolve, nodes, target)

    def _plan_objects(self, details: FieldDetailsList, return_type: GraphQLOutputType) -> bool:
        """Plan the objects a field's values hold, if they are of an object type; False if
        a plan below cannot be made."""
        non_null: GraphQLNonNull[Any] | None = None
        type_: Any = return_type
        while isinstance(type_, GraphQLNonNull | GraphQLList):
            non_null = type_ if isinstance(type_, GraphQLNonNull) else None
            type_ = type_.of_type
        if not isinstance(type_, GraphQLObjectType):
            return True  # a leaf, a list of leaves, or an abstract type: graphql-core's
        collected = collect_subfields(
            self.schema, self.fragments, self.variable_values, self.operation, type_, details
        )
        if collected.new_defer_usages:
            return False
        plan = ObjectPlan(type_, non_null)
        self.objects[id(details)] = plan
        steps = self.steps(type_, collected.grouped_field_set)
        if steps is None:
            return False
        plan.steps = steps
        return True


def _completes(return_type: GraphQLOutputType, target: ObjectPlan) -> bool:
    """Whether a field of `return_type` holds one object of the plan (not a list of them)."""
    return return_type is target.object_type or return_type is target.non_null_type


def _unchanged(leaf: GraphQLLeafType) -> tuple[type | None, Callable[[Any], bool] | None]:
    """graphql-core's built-in scalars return a `str` (String, ID), a `bool` (Boolean), an
    `int` within 32 bits (Int) and a finite `float` (Float) as they are; anything else goes
    through their coercion."""
    if leaf is GraphQLString or leaf is GraphQLID:
        return str, None
    if leaf is GraphQLBoolean:
        return bool, None
    if leaf is GraphQLInt:
        return int, _int32
    if leaf is GraphQLFloat:
        return float, isfinite
    return None, None


def _int32(value: int) -> bool:
    return GRAPHQL_MIN_INT <= value <= GRAPHQL_MAX_INT


def _type_name(name: str) -> Read:
    """What graphql-core's resolver of `__typename` answers in an object of type `name`."""

    def read(_source: Any) -> str:
        return name

    return read


def _ignoring_info(read: Read) -> Resolve:
    def resolve(source: Any, _info: Any) -> Any:
        return read(source)

    return resolve


def _has_directives(
    operation: OperationDefinitionNode, fragments: Mapping[str, FragmentDetails]
) -> bool:
    definitions = [details.definition for details in fragments.values()]
    if operation.directives or any(definition.directives for definition in definitions):
        return True
    return any(
        selection.directives
        for selection_set in (operation.selection_set, *(d.selection_set for d in definitions))
        for selection in _selections(selection_set)
    )


def _selections(
    selection_set: SelectionSetNode,
) -> Iterator[FieldNode | InlineFragmentNode | FragmentSpreadNode]:
    stack = [selection_set]
    while stack:
        for selection in stack.pop().selections:
            assert isinstance(selection, FieldNode | InlineFragmentNode | FragmentSpreadNode)
            yield selection
            if not isinstance(selection, FragmentSpreadNode) and selection.selection_set:
                stack.append(selection.selection_set)
