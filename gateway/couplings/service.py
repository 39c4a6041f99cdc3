"""Coupling, uncoupling and create-and-couple, as users of the Microsoft integrations know them.

Every operation checks everything it can before it writes (the mapping, the ids' shape, that
both records exist, that the records they refer to are coupled first) and raises
`RefusalError` naming the input field at fault. What it writes is whole or undone:
a synchronization after coupling that fails takes the new coupling back (and restores the
couplings it replaced); a counterpart whose coupling cannot be stored is deleted again.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from adapters.base import Connector, Record
from adapters.errors import ConnectorError
from gateway.couplings.dependencies import missing_dependencies
from gateway.couplings.views import CUSTOMER_MAPPING
from gateway.mappings.model import Direction, OtherSystem, TableMapping
from gateway.refusals import (
    Problem,
    RefusalCode,
    RefusalError,
    refusal_for,
    refuse,
    untranslatable,
    unwrapped_connector_errors,
)
from gateway.security.inputs import InputRejectedError, record_id, require_plain_text
from gateway.services import Services
from gateway.store.couplings import (
    AlreadyCoupledError,
    ConcurrentCouplingError,
    CoupleResult,
    Coupling,
)
from gateway.sync.context import SyncContext, sync_context
from gateway.sync.engine import BatchInterruptedError, SyncEngine
from gateway.sync.matching import counterpart_id
from gateway.sync.now import refusal_of
from gateway.sync.pairs import CounterpartError, coupled_record, create_counterpart

MAX_MAPPING_NAME = 64
# How long a creation's claim on its source record lasts, and how often a waiting call looks.
_CREATE_CLAIM_SECONDS = 60.0
_CLAIM_POLL_SECONDS = 0.05


class SyncAfterCoupling(StrEnum):
    NONE = "NONE"
    USE_ERP_DATA = "USE_ERP_DATA"  # ERP data overwrites the CRM record (TO_CRM)
    USE_CRM_DATA = "USE_CRM_DATA"  # CRM data overwrites the ERP record (FROM_CRM)

    @property
    def direction(self) -> Direction | None:
        if self is SyncAfterCoupling.USE_ERP_DATA:
            return Direction.TO_CRM
        if self is SyncAfterCoupling.USE_CRM_DATA:
            return Direction.FROM_CRM
        return None


@dataclass(frozen=True, slots=True)
class Synchronized:
    """What synchronizing right after coupling wrote: the target fields, in `direction`."""

    direction: Direction
    changes: dict[str, Any]
    coupling: Coupling


@dataclass(frozen=True, slots=True)
class CoupleOutcome:
    coupling: Coupling
    replaced: list[Coupling]
    created: bool  # False: the two records were coupled already
    erp_record: Record
    crm_record: Record
    synchronized: Synchronized | None = None


@dataclass(frozen=True, slots=True)
class CounterpartOutcome:
    coupling: Coupling
    replaced: list[Coupling]
    erp_record: Record
    crm_record: Record


def primary_direction(mapping: TableMapping) -> Direction:
    """The way a mapping's data flows first: towards the CRM unless it only flows from it."""
    return Direction.TO_CRM if mapping.direction.allows(Direction.TO_CRM) else Direction.FROM_CRM


class CouplingService:
    def __init__(self, services: Services, actor: str) -> None:
        self.services = services
        self.actor = actor
        self.couplings = services.couplings

    # ---- checks (nothing written) ---------------------------------------------------------------

    async def mapping(self, name: object, *field: str) -> TableMapping:
        """The stored mapping named `name`, if records can be coupled through it."""
        try:
            text = require_plain_text(name, "mapping", max_length=MAX_MAPPING_NAME)
        except InputRejectedError as exc:
            raise refuse(RefusalCode.INVALID_INPUT, f"mapping: {exc.reason}", *field) from None
        mapping = await self.services.mappings.get(text)
        if mapping is None:
            raise refuse(RefusalCode.NOT_FOUND, f"no table mapping is named {text!r}", *field)
        if mapping.coupled_through is not None:
            raise refuse(
                RefusalCode.INVALID_INPUT,
                f"{mapping.name} uses the couplings of {mapping.coupled_through}: "
                f"couple the records through {mapping.coupled_through}",
                *field,
            )
        if not mapping.enabled:
            raise refuse(
                RefusalCode.INVALID_INPUT,
                f"{mapping.name} is disabled: the connected systems do not offer its entities",
                *field,
            )
        return mapping

    def connectors(self, mapping: TableMapping | None = None) -> tuple[Connector, Connector]:
        """The ERP and the system on the mapping's other side (the CRM by default)."""
        other = mapping.other_system if mapping is not None else OtherSystem.CRM
        erp, crm = self.services.erp, self.services.other(other)
        if erp is None or crm is None:
            missing = " and ".join(n for n, c in (("ERP", erp), (other.label, crm)) if c is None)
            raise refuse(
                RefusalCode.UPSTREAM_UNAVAILABLE, f"the {missing} connection is not configured"
            )
        return erp, crm

    def record_id(self, connector: Connector, value: object, field: str) -> str:
        """`value` as an id of `connector`'s records (a GUID, a Tryton integer), or refused."""
        try:
            return str(record_id(connector.capabilities.id_kind, value, field))
        except InputRejectedError as exc:
            raise refuse(
                RefusalCode.INVALID_INPUT,
                f"{field}: {exc.reason} (an id of {connector.capabilities.label})",
                field,
            ) from None

    async def read(self, connector: Connector, entity: str, id: str, field: str) -> Record:
        doing = f"read {entity} {id}"
        try:
            with unwrapped_connector_errors():
                found = await connector.get_many(entity, [id])
        except ConnectorError as exc:
            raise refusal_for(exc, doing, field) from None
        record = found.get(id)
        if record is None:
            raise refuse(
                RefusalCode.NOT_FOUND,
                f"{field}: {connector.capabilities.label} has no {entity} {id}",
                field,
            )
        return record

    async def read_pair(
        self, mapping: TableMapping, erp: Connector, crm: Connector, erp_id: str, crm_id: str
    ) -> tuple[Record, Record]:
        results = await asyncio.gather(
            self.read(erp, mapping.erp_entity, erp_id, "erpId"),
            self.read(crm, mapping.crm_entity, crm_id, "crmId"),
            return_exceptions=True,
        )
        problems: list[Problem] = []
        for result in results:
            if isinstance(result, RefusalError):
                problems += result.problems
            elif isinstance(result, BaseException):
                raise result
        if problems:
            raise RefusalError(*problems)
        erp_record, crm_record = results
        assert isinstance(erp_record, Record)
        assert isinstance(crm_record, Record)
        return erp_record, crm_record

    async def check_dependencies(
        self, mapping: TableMapping, direction: Direction, source: Record, field: str
    ) -> None:
        missing = await missing_dependencies(mapping, direction, source.values, self.couplings)
        if missing:
            raise RefusalError(
                *(
                    Problem(RefusalCode.DEPENDENCY_NOT_COUPLED, problem.message, (field,))
                    for problem in missing
                )
            )

    # ---- couple / uncouple ----------------------------------------------------------------------

    async def couple(
        self,
        mapping_name: object,
        erp_id: object,
        crm_id: object,
        sync: SyncAfterCoupling = SyncAfterCoupling.NONE,
    ) -> CoupleOutcome:
        mapping = await self.mapping(mapping_name, "mapping")
        erp, crm = self.connectors(mapping)
        erp_key = self.record_id(erp, erp_id, "erpId")
        crm_key = self.record_id(crm, crm_id, "crmId")
        direction = sync.direction
        if direction is not None and not mapping.direction.allows(direction):
            raise refuse(
                RefusalCode.INVALID_INPUT,
                f"{mapping.name} only flows {mapping.direction.value}: {sync.value} would "
                "synchronize the other way",
                "syncAfterCoupling",
            )
        erp_record, crm_record = await self.read_pair(mapping, erp, crm, erp_key, crm_key)
        checked = direction or primary_direction(mapping)
        source = erp_record if checked is Direction.TO_CRM else crm_record
        await self.check_dependencies(
            mapping, checked, source, "erpId" if checked is Direction.TO_CRM else "crmId"
        )
        try:
            result = await self.couplings.couple(
                mapping.coupling_mapping,
                coupled_record(mapping, "erp", erp_record),
                coupled_record(mapping, "crm", crm_record),
                replace_existing=True,
            )
        except ConcurrentCouplingError as exc:
            raise refuse(RefusalCode.CONFLICT, str(exc)) from None
        outcome = CoupleOutcome(
            result.coupling, result.replaced, result.created, erp_record, crm_record
        )
        if direction is None:
            return outcome
        synchronized = await self._synchronize(mapping, result, direction, erp_record, crm_record)
        return CoupleOutcome(
            synchronized.coupling,
            result.replaced,
            result.created,
            erp_record,
            crm_record,
            synchronized,
        )

    async def _synchronize(
        self,
        mapping: TableMapping,
        result: CoupleResult,
        direction: Direction,
        erp_record: Record,
        crm_record: Record,
    ) -> Synchronized:
        """Synchronize a pair just coupled, through the engine; on failure, take the
        coupling back (and the sync error the failure left)."""
        coupling = result.coupling
        engine = SyncEngine(
            self.sync_context(),
            self.services.sync_errors,
            mapping,
            create=False,
            skip_after=self.services.settings.sync_skip_after_failures,
            run_id=None,
        )
        doing = "synchronize after coupling"
        try:
            with unwrapped_connector_errors():
                applied = await engine.push(
                    direction,
                    [coupling],
                    read=({erp_record.id: erp_record}, {crm_record.id: crm_record}),
                )
        except (ConnectorError, BatchInterruptedError) as exc:
            await self._undo(result)
            error = exc.error if isinstance(exc, BatchInterruptedError) else exc
            raise refusal_for(error, doing) from None
        failure = applied.failure_of(coupling.erp.id)
        if failure is not None:
            await self._undo(result)
            await self.services.sync_errors.clear(
                mapping.name, erp_ids=[coupling.erp.id], crm_ids=[coupling.crm.id]
            )
            refused = applied.write_errors.get(coupling.erp.id)
            if refused is not None:
                raise refusal_for(refused, doing)
            raise refuse(refusal_of(failure).code, f"{doing}: {failure.message}")
        after = await self.couplings.get(coupling.id)
        return Synchronized(direction, applied.changes.get(coupling.erp.id, {}), after or coupling)

    async def _undo(self, result: CoupleResult) -> None:
        if not result.created:
            return  # the pair was coupled before this call: it stays
        new = result.coupling
        await self.couplings.uncouple(new.mapping, erp_id=new.erp.id, crm_id=new.crm.id)
        for old in result.replaced:
            with contextlib.suppress(AlreadyCoupledError, ConcurrentCouplingError):
                await self.couplings.couple(
                    old.mapping,
                    old.erp,
                    old.crm,
                    replace_existing=False,
                    synced_values=old.synced_values,
                )

    async def uncouple(
        self, mapping_name: object, erp_id: object | None, crm_id: object | None
    ) -> Coupling:
        mapping = await self.mapping(mapping_name, "mapping")
        if erp_id is None and crm_id is None:
            raise refuse(RefusalCode.INVALID_INPUT, "give erpId, crmId or both", "erpId")
        erp, crm = self.connectors(mapping)
        erp_key = self.record_id(erp, erp_id, "erpId") if erp_id is not None else None
        crm_key = self.record_id(crm, crm_id, "crmId") if crm_id is not None else None
        removed = await self.couplings.uncouple(
            mapping.coupling_mapping, erp_id=erp_key, crm_id=crm_key
        )
        if removed is None:
            which = " and ".join(
                f"{side} {key}" for side, key in (("ERP", erp_key), ("CRM", crm_key)) if key
            )
            raise refuse(
                RefusalCode.NOT_COUPLED,
                f"{which} {'is' if erp_key is None or crm_key is None else 'are'} not coupled "
                f"in {mapping.name}",
                "erpId" if erp_key is not None else "crmId",
            )
        return removed

    # ---- create and couple ----------------------------------------------------------------------

    async def create_customer_from_account(self, crm_id: object) -> CounterpartOutcome:
        return await self._create(Direction.FROM_CRM, crm_id, "crmId")

    async def create_account_from_customer(self, erp_id: object) -> CounterpartOutcome:
        return await self._create(Direction.TO_CRM, erp_id, "erpId")

    async def _create(
        self, direction: Direction, source_id: object, field: str
    ) -> CounterpartOutcome:
        mapping = await self.mapping(CUSTOMER_MAPPING)
        if not mapping.direction.allows(direction):
            raise refuse(
                RefusalCode.INVALID_INPUT,
                f"{mapping.name} only flows {mapping.direction.value}: records cannot be "
                f"created {direction.value}",
            )
        erp, crm = self.connectors()
        source_connector = erp if direction is Direction.TO_CRM else crm
        target = crm if direction is Direction.TO_CRM else erp
        key = self.record_id(source_connector, source_id, field)
        source = await self.read(source_connector, mapping.entity_of(direction.source), key, field)
        await self.check_dependencies(mapping, direction, source, field)
        # One creation per source record, however many calls arrive at once: the first claims
        # the record, the others wait for it and find it coupled.
        claim = f"create:{mapping.coupling_mapping}:{direction.source}:{key}"
        owner = f"{self.actor}:{uuid.uuid4().hex}"
        await self._refuse_if_coupled(mapping, direction, key, field)
        leases = self.services.leases
        deadline = time.monotonic() + _CREATE_CLAIM_SECONDS
        while not await leases.acquire(claim, owner, seconds=_CREATE_CLAIM_SECONDS):
            if time.monotonic() > deadline:
                raise refuse(
                    RefusalCode.CONFLICT, f"{field} {key} is being created by another call", field
                )
            await asyncio.sleep(_CLAIM_POLL_SECONDS)
        try:
            await self._refuse_if_coupled(mapping, direction, key, field)
            made_id = (
                counterpart_id(mapping, direction, key) if target.capabilities.caller_ids else None
            )
            with unwrapped_connector_errors():
                result, created = await create_counterpart(
                    self.sync_context(),
                    mapping,
                    source,
                    direction,
                    replace_existing=False,
                    record_id=made_id,
                )
        except CounterpartError as exc:
            raise (
                untranslatable(exc.problems, field)
                if exc.problems
                else refuse(RefusalCode.INVALID_INPUT, str(exc), field)
            ) from None
        except ConnectorError as exc:
            raise refusal_for(exc, f"create the {mapping.entity_of(direction.target)}") from None
        except (AlreadyCoupledError, ConcurrentCouplingError) as exc:
            raise refuse(RefusalCode.ALREADY_COUPLED, str(exc), field) from None
        finally:
            await leases.release(claim, owner)
        erp_record, crm_record = (
            (source, created) if direction is Direction.TO_CRM else (created, source)
        )
        return CounterpartOutcome(result.coupling, result.replaced, erp_record, crm_record)

    async def _refuse_if_coupled(
        self, mapping: TableMapping, direction: Direction, key: str, field: str
    ) -> None:
        found = await self.couplings.by_ids(mapping.coupling_mapping, direction.source, [key])
        coupling = found.get(key)
        if coupling is not None:
            other = coupling.side(direction.target)
            raise refuse(
                RefusalCode.ALREADY_COUPLED,
                f"{field} {key} is already coupled to the {direction.target.upper()} "
                f"{other.entity} {other.key or other.id} in {mapping.name}: uncouple it first "
                "to create another, or synchronize the pair with synchronizeNow",
                field,
            )

    def sync_context(self) -> SyncContext:
        self.connectors()  # refused, naming what is missing, when a system is not configured
        return sync_context(self.services, self.actor)
