"""What one sync batch is going to do, gathered before anything is sent: the pairs to write,
the counterparts to create, the records to delete, and the traces the batch leaves (coupling
changes, sync errors, integration log entries, counters)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from adapters.base import Record
from adapters.errors import (
    ConflictError,
    ConnectorError,
    LockedError,
    NotFoundError,
    RetriableError,
)
from gateway.mappings.model import Direction, TableMapping
from gateway.mappings.translate import RowProblem
from gateway.store.couplings import Coupling, CouplingChanges, Failed
from gateway.store.integration_log import LogEntry, Outcome, ResultStatus, Target
from gateway.store.sync_errors import LOCKED, RecordFailure
from gateway.store.sync_runs import Counters
from gateway.sync.conflicts import MergePlan
from gateway.types import SideName


def other_side(side: SideName) -> SideName:
    return "crm" if side == "erp" else "erp"


def flow_from(side: SideName) -> Direction:
    """The direction a change read from `side` flows in."""
    return Direction.TO_CRM if side == "erp" else Direction.FROM_CRM


def problem_code(problems: list[RowProblem]) -> str:
    return "DEPENDENCY_NOT_COUPLED" if any(p.dependency for p in problems) else "REJECTED"


def problem_details(problems: list[RowProblem]) -> dict[str, Any]:
    """What a sync error keeps of untranslatable rows: which, and the mappings to couple
    first (a record waiting for one is retried once that mapping couples something)."""
    dependencies = sorted({p.dependency for p in problems if p.dependency})
    return {"rows": [p.row for p in problems], "dependencies": dependencies}


def error_code(error: ConnectorError | None) -> str:
    if isinstance(error, ConflictError):
        return "CONFLICT"
    if isinstance(error, NotFoundError):
        return "NOT_FOUND"
    if isinstance(error, LockedError):
        return LOCKED
    if isinstance(error, RetriableError):
        return "UPSTREAM_UNAVAILABLE"
    return "REJECTED"


@dataclass(slots=True)
class PairWork:
    """A coupled pair being synchronized, and what its writes returned."""

    source: Record
    other: Record
    coupling: Coupling
    plan: MergePlan
    reading: SideName
    written: dict[SideName, Record] = field(default_factory=dict)
    error: ConnectorError | None = None

    def side(self, name: SideName) -> Record:
        return self.source if self.reading == name else self.other


@dataclass(slots=True)
class CreateWork:
    source: Record
    direction: Direction
    values: dict[str, Any]
    created: Record | None = None
    error: ConnectorError | None = None


@dataclass(slots=True)
class DeleteWork:
    coupling: Coupling
    target: Record
    side: SideName  # where the record is deleted
    error: ConnectorError | None = None
    done: bool = False


Work = PairWork | CreateWork | DeleteWork


@dataclass(slots=True)
class Batch:
    mapping: TableMapping
    actor: str
    run_id: str | None
    pairs: list[PairWork] = field(default_factory=list)
    creates: list[CreateWork] = field(default_factory=list)
    deletes: list[DeleteWork] = field(default_factory=list)
    couplings: CouplingChanges = field(default_factory=CouplingChanges)
    failures: list[RecordFailure] = field(default_factory=list)
    log: list[LogEntry] = field(default_factory=list)
    cleared: dict[SideName, set[str]] = field(default_factory=lambda: {"erp": set(), "crm": set()})
    counters: Counters = field(default_factory=Counters)
    interrupted: RetriableError | None = None

    def succeeded(self, erp_id: str | None, crm_id: str | None) -> None:
        """A record synchronized: its sync errors can go."""
        if erp_id is not None:
            self.cleared["erp"].add(erp_id)
        if crm_id is not None:
            self.cleared["crm"].add(crm_id)

    def fail(
        self,
        side: SideName,
        *,
        coupling: Coupling | None,
        message: str,
        code: str,
        direction: str | None,
        erp_id: str | None,
        crm_id: str | None,
        details: dict[str, Any] | None = None,
    ) -> None:
        """Count a failed record and keep its sync error; a coupled pair's failure counts
        towards SKIPPED."""
        self.counters.failed += 1
        self.failures.append(
            RecordFailure(
                mapping=self.mapping.name,
                source_side=side,
                erp_id=erp_id,
                crm_id=crm_id,
                message=message,
                code=code,
                direction=direction,
                details=details or {},
            )
        )
        if coupling is not None:
            self.couplings.failed.append(Failed(coupling, message, counts=code != LOCKED))

    def fail_uncoupled(
        self,
        side: SideName,
        record: Record,
        message: str,
        code: str,
        details: dict[str, Any] | None = None,
    ) -> None:
        self.fail(
            side,
            coupling=None,
            message=message,
            code=code,
            direction=flow_from(side).value,
            erp_id=record.id if side == "erp" else None,
            crm_id=record.id if side == "crm" else None,
            details=details,
        )

    def uncouple(self, coupling: Coupling, kept: SideName, *, reason: str) -> None:
        """Remove a coupling, with a log entry that says why (nothing goes silently)."""
        self.couplings.removed.append(coupling)
        self.counters.uncoupled += 1
        record = coupling.side(kept)
        self.log.append(
            LogEntry(
                kind="sync",
                actor=self.actor,
                operation="uncouple",
                target=Target(system=record.system, entity=record.entity, id=record.id),
                details={
                    "mapping": self.mapping.name,
                    "run": self.run_id,
                    "reason": reason,
                    "erp_id": coupling.erp.id,
                    "crm_id": coupling.crm.id,
                    "deletion_policy": self.mapping.deletion_policy.value,
                },
                result=Outcome(ResultStatus.OK),
            )
        )
