"""How the schema executes operations: graphql-core's executor, with plans for queries."""

from __future__ import annotations

from schema.execution.executor import ExecutionPlans, PlannedExecutor, planned_executor

__all__ = ["ExecutionPlans", "PlannedExecutor", "planned_executor"]
