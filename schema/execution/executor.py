"""graphql-core's executor, following an operation's plan where there is one.

A planned query runs the same code as any other for every field with a resolver (the root
fields, connections, hops to other systems: `execute_field`, with its errors, awaitables and
DataLoader batching), but its plain scalar fields cost a read and a coercion, and the objects
it meets are completed from steps worked out once instead of being looked at afresh.

What it does in place of graphql-core's `execute_fields` and `complete_value` follows them
line by line: the same checks in the same order, the same error messages, errors recorded
through `handle_field_error` (so a null bubbles up exactly as far), awaitables gathered the
same way. Everything else — mutations, documents with directives, abstract types and what
lies below them, a schema extension that wraps every resolver — runs as graphql-core runs it.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable
from typing import Any, ClassVar

from graphql import GraphQLObjectType, GraphQLOutputType, GraphQLResolveInfo, Undefined
from graphql.execution.collect_fields import FieldDetailsList, GroupedFieldSet
from graphql.execution.executor import Executor, invalid_return_type_error
from graphql.pyutils import AwaitableOrValue, Path, gather_with_cancel
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from schema.execution.plan import CallStep, LeafStep, ObjectPlan, Plan, Step, plan_operation

PLANS_KEPT = 256  # operations per schema whose plans (or lack of one) are remembered
_complete_leaf_value = Executor.complete_leaf_value


class ExecutionPlans:
    """The plans of one schema's operations, by document text and operation name, and how
    many executions followed one (`planned`) or ran as graphql-core runs them (`standard`)."""

    def __init__(self, kept: int = PLANS_KEPT) -> None:
        self.kept = kept
        self.planned = 0
        self.standard = 0
        self._plans: OrderedDict[tuple[str, str | None], Plan | None] = OrderedDict()

    def cached(self, document: str, operation_name: str | None) -> Plan | None:
        """The plan kept for an operation, if it has one."""
        return self._plans.get((document, operation_name))

    def for_executor(self, executor: Executor[Any]) -> Plan | None:
        operation = executor.operation
        if operation.loc is None:  # parsed without locations: no text to know it by
            return None
        key = (operation.loc.source.body, operation.name.value if operation.name else None)
        try:
            plan = self._plans[key]
        except KeyError:
            plan = plan_operation(
                executor.schema, operation, executor.fragments, executor.variable_values
            )
            self._plans[key] = plan
            if len(self._plans) > self.kept:
                self._plans.popitem(last=False)
        else:
            self._plans.move_to_end(key)
        return plan


class PlannedExecutor(StrawberryGraphQLCoreExecutionContext):
    plans: ClassVar[ExecutionPlans]
    _plan: Plan | None = None

    def execute_root_grouped_field_set(
        self,
        root_type: GraphQLObjectType,
        root_value: Any,
        grouped_field_set: GroupedFieldSet,
        serially: bool,
        position_context: Any,
    ) -> AwaitableOrValue[dict[str, Any]]:
        plan = None
        if not serially and position_context is None and not self._wraps_resolvers():
            plan = self.plans.for_executor(self)
        if plan is None:
            self.plans.standard += 1
            return super().execute_root_grouped_field_set(
                root_type, root_value, grouped_field_set, serially, position_context
            )
        self.plans.planned += 1
        self._plan = plan
        return self._execute_steps(root_type, root_value, None, plan.root)

    def _wraps_resolvers(self) -> bool:
        """Whether middleware (a schema extension's `resolve`) must see every field."""
        manager = self.middleware_manager
        return manager is not None and bool(manager.middlewares)

    def complete_value(  # noqa: PLR0917 - graphql-core's signature
        self,
        return_type: GraphQLOutputType,
        field_details_list: FieldDetailsList,
        info: GraphQLResolveInfo[Any],
        path: Path,
        result: Any,
        position_context: Any,
    ) -> AwaitableOrValue[Any]:
        plan = self._plan
        target = None if plan is None else plan.objects.get(id(field_details_list))
        if target is not None and (
            return_type is target.object_type or return_type is target.non_null_type
        ):
            return self._complete_planned(
                target, return_type, field_details_list, info, path, result
            )
        return super().complete_value(
            return_type, field_details_list, info, path, result, position_context
        )

    def _complete_planned(  # noqa: PLR0917 - complete_value's arguments
        self,
        target: ObjectPlan,
        return_type: GraphQLOutputType,
        field_details_list: FieldDetailsList,
        info: GraphQLResolveInfo[Any],
        path: Path,
        result: Any,
    ) -> AwaitableOrValue[Any]:
        """`complete_value` of a `T!` or `T` whose objects have a plan, then
        `complete_object_value` with the plan's steps for the collected subfields."""
        if isinstance(result, Exception):
            raise result
        if result is None or result is Undefined:
            if return_type is target.non_null_type:
                raise TypeError(
                    "Cannot return null for non-nullable field"
                    f" {info.parent_type}.{info.field_name}."
                )
            return None
        object_type = target.object_type
        if object_type.is_type_of:
            is_type_of = object_type.is_type_of(result, info)
            if self.is_awaitable(is_type_of):
                return self._complete_after(is_type_of, target, field_details_list, path, result)
            if not is_type_of:
                raise invalid_return_type_error(object_type, result, field_details_list)
        return self._execute_steps(object_type, result, path, target.steps)

    async def _complete_after(
        self,
        is_type_of: Awaitable[bool],
        target: ObjectPlan,
        field_details_list: FieldDetailsList,
        path: Path,
        result: Any,
    ) -> dict[str, Any]:
        """The rest of `complete_object_value` once an awaitable `is_type_of` says yes."""
        if not await self.with_abort_signal(is_type_of):
            raise invalid_return_type_error(target.object_type, result, field_details_list)
        fields = self._execute_steps(target.object_type, result, path, target.steps)
        if self.is_awaitable(fields):
            return await fields  # type: ignore[no-any-return]
        return fields  # type: ignore[return-value]

    def _execute_steps(  # noqa: PLR0912 - graphql-core's execute_fields, one branch per kind of step
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        path: Path | None,
        steps: tuple[Step, ...],
    ) -> AwaitableOrValue[dict[str, Any]]:
        """`execute_fields` over planned steps, with plain scalar fields completed in place."""
        results: dict[str, Any] = {}
        is_awaitable = self.is_awaitable
        awaitable_fields: list[str] = []
        try:
            for step in steps:
                key = step.key
                if type(step) is LeafStep:
                    # `execute_field` and `complete_value` of a leaf, without the resolve
                    # info it does not read; its path is made only for an error.
                    try:
                        value = step.read(source)
                        if type(value) is step.exact and (
                            step.within is None or step.within(value)
                        ):
                            results[key] = value  # what the scalar's coercion answers
                            continue
                        if is_awaitable(value):
                            results[key] = self._awaited_leaf(step, parent_type, path, value)
                            awaitable_fields.append(key)
                            continue
                        if isinstance(value, Exception):
                            raise value  # as complete_value does
                        if value is None or value is Undefined:
                            if step.non_null:
                                raise TypeError(step.null_message)
                            results[key] = None
                        else:
                            results[key] = _complete_leaf_value(step.leaf, value)
                    except Exception as raw_error:
                        self.handle_field_error(
                            raw_error,
                            step.field_def.type,
                            step.field_details,
                            Path(path, key, parent_type.name),
                        )
                        results[key] = None
                    continue
                field_path = Path(path, key, parent_type.name)
                if type(step) is CallStep:
                    result = self._call_field(step, parent_type, source, field_path)
                else:
                    result = self.execute_field(
                        parent_type, source, step.field_details, field_path, None
                    )
                if result is not Undefined:
                    results[key] = result
                    if is_awaitable(result):
                        awaitable_fields.append(key)
        except Exception:
            if awaitable_fields:
                self.settle_in_background([results[key] for key in awaitable_fields])
            raise

        if not awaitable_fields:
            return results
        return self._gather_fields(results, awaitable_fields)

    @staticmethod
    async def _gather_fields(
        results: dict[str, Any], awaitable_fields: list[str]
    ) -> dict[str, Any]:
        """The rest of `execute_fields`: its awaitable fields awaited together."""
        if len(awaitable_fields) == 1:
            key = awaitable_fields[0]
            results[key] = await results[key]
        else:
            awaited = await gather_with_cancel(*(results[key] for key in awaitable_fields))
            results.update(zip(awaitable_fields, awaited, strict=True))
        return results

    def _call_field(
        self, step: CallStep, parent_type: GraphQLObjectType, source: Any, path: Path
    ) -> AwaitableOrValue[Any]:
        """`execute_field`, with the step's direct call in place of strawberry's wrapper
        (no arguments to coerce, no middleware: the plan has neither)."""
        return_type = step.field_def.type
        field_details = step.field_details
        info = self.build_resolve_info(step.field_def, list(step.nodes), parent_type, path)
        try:
            result = step.resolve(source, info)
            if self.is_awaitable(result):
                return self.complete_awaitable_value(
                    return_type, field_details, info, path, result, None
                )
            target = step.target
            if target is not None:
                completed = self._complete_planned(
                    target, return_type, field_details, info, path, result
                )
            else:
                completed = self.complete_value(
                    return_type, field_details, info, path, result, None
                )
            if self.is_awaitable(completed):
                return self._await_completed(completed, return_type, field_details, path)
        except Exception as raw_error:
            self.handle_field_error(raw_error, return_type, field_details, path)
            return None
        return completed

    async def _await_completed(
        self,
        completed: Awaitable[Any],
        return_type: GraphQLOutputType,
        field_details: FieldDetailsList,
        path: Path,
    ) -> Any:
        try:
            return await completed
        except Exception as raw_error:
            self.handle_field_error(raw_error, return_type, field_details, path)
            return None

    def _awaited_leaf(
        self, step: LeafStep, parent_type: GraphQLObjectType, path: Path | None, value: Any
    ) -> AwaitableOrValue[Any]:
        """A plain field that held an awaitable: completed as `execute_field` would."""
        field_path = Path(path, step.key, parent_type.name)
        nodes = [detail.node for detail in step.field_details]
        info = self.build_resolve_info(step.field_def, nodes, parent_type, field_path)
        return self.complete_awaitable_value(
            step.field_def.type, step.field_details, info, field_path, value, None
        )


def planned_executor(kept: int = PLANS_KEPT) -> type[PlannedExecutor]:
    """An executor class with a cache of plans of its own: one per schema."""

    class SchemaExecutor(PlannedExecutor):
        plans = ExecutionPlans(kept)

    return SchemaExecutor
