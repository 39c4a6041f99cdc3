"""The enums of the public contract, as GraphQL sees them (names from `API.md`).

They are the core's own enums, registered with strawberry here under their API names, so a
field is annotated with the core enum itself and no value can go missing between the two.
Importing this module (every type module does) registers them.
"""

from __future__ import annotations

from enum import Enum

import strawberry

from gateway.auth.roles import Role
from gateway.mappings.model import (
    ConflictPolicy,
    DeletionPolicy,
    Direction,
    LookupBy,
    MappingDirection,
    OtherSystem,
)
from gateway.refusals import RefusalCode
from gateway.store.couplings import CouplingState
from gateway.store.job_queue import JobStatus
from gateway.store.sync_runs import RunStatus
from gateway.workflows.instances import WorkflowStatus

strawberry.enum(
    Direction,
    name="Direction",
    description="TO_CRM: ERP data overwrites CRM data; FROM_CRM: the reverse.",
)
strawberry.enum(MappingDirection, name="MappingDirection")
strawberry.enum(
    OtherSystem,
    name="OtherSystem",
    description="The system on a mapping's other side from the ERP; TO_CRM and FROM_CRM "
    "then mean towards it and from it.",
)
strawberry.enum(ConflictPolicy, name="ConflictPolicy")
strawberry.enum(
    DeletionPolicy,
    name="DeletionPolicy",
    description="What a deletion on one side does to the coupled record on the other side.",
)
strawberry.enum(
    LookupBy,
    name="LookupBy",
    description="Whether a reference field holds the other record's id or its natural key.",
)
strawberry.enum(CouplingState, name="CouplingState")
strawberry.enum(RunStatus, name="RunStatus")
strawberry.enum(
    JobStatus,
    name="JobStatus",
    description="READY: waits for its next run; IN_PROCESS: running; ON_HOLD: paused, or "
    "asleep until a change is seen; ERROR: its last run failed (the next still happens).",
)
strawberry.enum(
    Role,
    name="Role",
    description="What an API key may do: reader (queries) < integrator < admin.",
)
strawberry.enum(
    WorkflowStatus,
    name="WorkflowStatus",
    description="RUNNING: under way, or interrupted and waiting for the worker to resume it; "
    "SUCCEEDED: done; FAILED: stopped by a refusal of a system (calling the operation again "
    "retries it from the step that failed).",
)
strawberry.enum(
    RefusalCode,
    name="UserErrorCode",
    description="Why a mutation could not do what it was asked.",
)


@strawberry.enum(description="What to synchronize right after coupling two records.")
class SyncAfterCoupling(Enum):
    NONE = "NONE"
    USE_ERP_DATA = "USE_ERP_DATA"  # the ERP record's mapped fields overwrite the CRM record's
    USE_CRM_DATA = "USE_CRM_DATA"  # the reverse


__all__ = [
    "ConflictPolicy",
    "CouplingState",
    "DeletionPolicy",
    "Direction",
    "JobStatus",
    "LookupBy",
    "MappingDirection",
    "OtherSystem",
    "RefusalCode",
    "Role",
    "RunStatus",
    "SyncAfterCoupling",
    "WorkflowStatus",
]
