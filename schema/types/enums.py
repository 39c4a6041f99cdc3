"""The enums of the public contract, as GraphQL sees them (names from `API.md`)."""

from __future__ import annotations

from enum import Enum

import strawberry

from gateway.mappings.model import ConflictPolicy as CoreConflictPolicy
from gateway.mappings.model import Direction as CoreDirection
from gateway.mappings.model import MappingDirection as CoreMappingDirection
from gateway.store.couplings import CouplingState as CoreCouplingState
from gateway.store.job_queue import JobStatus as CoreJobStatus
from gateway.store.sync_runs import RunStatus as CoreRunStatus

Direction = strawberry.enum(
    CoreDirection,
    name="Direction",
    description="TO_CRM: ERP data overwrites CRM data; FROM_CRM: the reverse.",
)
MappingDirection = strawberry.enum(CoreMappingDirection, name="MappingDirection")
ConflictPolicy = strawberry.enum(CoreConflictPolicy, name="ConflictPolicy")
CouplingState = strawberry.enum(CoreCouplingState, name="CouplingState")
RunStatus = strawberry.enum(CoreRunStatus, name="RunStatus")
JobStatus = strawberry.enum(
    CoreJobStatus,
    name="JobStatus",
    description="READY: waits for its next run; IN_PROCESS: running; ON_HOLD: paused, or "
    "asleep until a change is seen; ERROR: its last run failed (the next still happens).",
)


@strawberry.enum(description="What to synchronize right after coupling two records.")
class SyncAfterCoupling(Enum):
    NONE = "NONE"
    USE_ERP_DATA = "USE_ERP_DATA"  # the ERP record's mapped fields overwrite the CRM record's
    USE_CRM_DATA = "USE_CRM_DATA"  # the reverse
