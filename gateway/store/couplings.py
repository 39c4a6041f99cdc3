"""Couplings: which ERP record and which CRM record are the same thing, per table mapping.

One document per coupled pair. The unique indexes on `(mapping, erp.id)` and
`(mapping, crm.id)` (see `indexes.py`) make "one record is coupled once per mapping" hold under
concurrent requests; every method here is one round trip per batch, never one per record.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from bson import ObjectId
from bson.errors import InvalidId
from pymongo import ASCENDING, DeleteOne, ReturnDocument, UpdateOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, DuplicateKeyError

from gateway.types import Document, SideName

COLLECTION = "couplings"
_DUPLICATE_KEY = 11000
Baseline = Mapping[str, Mapping[str, Any]]
# How often `couple` retries when a concurrent call took one of the records in between.
_COUPLE_ATTEMPTS = 5


class CouplingState(StrEnum):
    COUPLED = "coupled"
    SKIPPED = "skipped"  # failed too often; synchronization leaves it alone until retried
    ERROR = "error"  # the last synchronization failed
    UNCOUPLED = "uncoupled"  # removed: what an uncoupling answers (never stored)


@dataclass(frozen=True, slots=True)
class CoupledRecord:
    """One side of a coupling: where the record lives and what we last saw of it."""

    system: str
    entity: str
    id: str
    key: str | None = None  # the record's natural key (number, code), for lookups by key
    modified_on: datetime | None = None
    etag: str | None = None

    def to_doc(self) -> Document:
        return {
            "system": self.system,
            "entity": self.entity,
            "id": self.id,
            "key": self.key,
            "modified_on": self.modified_on,
            "etag": self.etag,
        }

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> CoupledRecord:
        return cls(
            system=doc["system"],
            entity=doc["entity"],
            id=doc["id"],
            key=doc.get("key"),
            modified_on=doc.get("modified_on"),
            etag=doc.get("etag"),
        )


@dataclass(frozen=True, slots=True)
class Coupling:
    id: str
    mapping: str
    erp: CoupledRecord
    crm: CoupledRecord
    state: CouplingState = CouplingState.COUPLED
    # Per field row: the values both sides agreed on at the last synchronization,
    # {"<row key>": {"erp": <value>, "crm": <value>}}; what conflict detection compares against.
    synced_values: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    last_synced_at: datetime | None = None
    last_direction: str | None = None
    error_count: int = 0
    last_error: str | None = None
    created_at: datetime | None = None

    def side(self, name: SideName) -> CoupledRecord:
        return self.erp if name == "erp" else self.crm

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> Coupling:
        return cls(
            id=str(doc["_id"]),
            mapping=doc["mapping"],
            erp=CoupledRecord.from_doc(doc["erp"]),
            crm=CoupledRecord.from_doc(doc["crm"]),
            state=CouplingState(doc.get("state", CouplingState.COUPLED)),
            synced_values=doc.get("synced_values") or {},
            last_synced_at=doc.get("last_synced_at"),
            last_direction=doc.get("last_direction"),
            error_count=doc.get("error_count", 0),
            last_error=doc.get("last_error"),
            created_at=doc.get("created_at"),
        )


@dataclass(frozen=True, slots=True)
class CoupleResult:
    coupling: Coupling
    # Couplings that had to go so that this one could exist (the seeds' "re-coupling a record
    # that is already coupled deletes the old coupling"): callers report them.
    replaced: list[Coupling]
    created: bool


class AlreadyCoupledError(Exception):
    def __init__(self, existing: Coupling) -> None:
        super().__init__(
            f"already coupled in {existing.mapping}: ERP {existing.erp.id} ↔ CRM {existing.crm.id}"
        )
        self.existing = existing


class ConcurrentCouplingError(Exception):
    """Other calls kept taking the same records; nothing was changed by this one."""


def _now() -> datetime:
    return datetime.now(UTC)


def parse_coupling_id(value: str) -> ObjectId | None:
    try:
        return ObjectId(value)
    except (InvalidId, TypeError):
        return None


@dataclass(frozen=True, slots=True)
class NewCoupling:
    """A pair a synchronization coupled (found by key, or created), with what they agree on."""

    erp: CoupledRecord
    crm: CoupledRecord
    synced_values: Baseline
    direction: str | None


@dataclass(frozen=True, slots=True)
class Synced:
    """A pair that synchronized: its new baseline and what we now know of both records."""

    coupling: Coupling
    synced_values: Baseline
    direction: str | None
    erp: CoupledRecord | None = None
    crm: CoupledRecord | None = None


@dataclass(frozen=True, slots=True)
class Failed:
    coupling: Coupling
    message: str


@dataclass(slots=True)
class CouplingChanges:
    """What one synchronization batch does to its couplings, written in one round trip."""

    synced: list[Synced] = field(default_factory=list)
    failed: list[Failed] = field(default_factory=list)
    removed: list[Coupling] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.synced or self.failed or self.removed)


def needs_update(coupling: Coupling, baseline: Baseline) -> bool:
    """Whether a pair that needed no write still has something to remember."""
    if coupling.state is not CouplingState.COUPLED or coupling.last_synced_at is None:
        return True
    return any(coupling.synced_values.get(key) != dict(value) for key, value in baseline.items())


class CouplingRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._collection: AsyncCollection[Document] = db[COLLECTION]

    async def get(self, coupling_id: str) -> Coupling | None:
        oid = parse_coupling_id(coupling_id)
        if oid is None:
            return None
        doc = await self._collection.find_one({"_id": oid})
        return Coupling.from_doc(doc) if doc else None

    async def get_many(self, coupling_ids: Iterable[str]) -> dict[str, Coupling]:
        oids = [oid for value in coupling_ids if (oid := parse_coupling_id(value)) is not None]
        if not oids:
            return {}
        cursor = self._collection.find({"_id": {"$in": oids}})
        return {str(doc["_id"]): Coupling.from_doc(doc) async for doc in cursor}

    async def by_ids(self, mapping: str, side: SideName, ids: Iterable[str]) -> dict[str, Coupling]:
        """Couplings of the given records of one side, keyed by that side's id: one query."""
        wanted = list(dict.fromkeys(ids))
        if not wanted:
            return {}
        cursor = self._collection.find({"mapping": mapping, f"{side}.id": {"$in": wanted}})
        found = [Coupling.from_doc(doc) async for doc in cursor]
        return {coupling.side(side).id: coupling for coupling in found}

    async def by_erp_ids(self, mapping: str, ids: Iterable[str]) -> dict[str, Coupling]:
        return await self.by_ids(mapping, "erp", ids)

    async def by_crm_ids(self, mapping: str, ids: Iterable[str]) -> dict[str, Coupling]:
        return await self.by_ids(mapping, "crm", ids)

    async def by_keys(
        self, mapping: str, side: SideName, keys: Iterable[str]
    ) -> dict[str, Coupling]:
        """Couplings by a side's natural key (e.g. salesperson code, currency code)."""
        wanted = list(dict.fromkeys(keys))
        if not wanted:
            return {}
        cursor = self._collection.find({"mapping": mapping, f"{side}.key": {"$in": wanted}})
        found = [Coupling.from_doc(doc) async for doc in cursor]
        return {key: coupling for coupling in found if (key := coupling.side(side).key) is not None}

    async def couple(
        self,
        mapping: str,
        erp: CoupledRecord,
        crm: CoupledRecord,
        *,
        replace_existing: bool = True,
        synced_values: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> CoupleResult:
        """Couple two records. Coupling a pair that is already coupled changes nothing; with
        `replace_existing`, a record coupled to something else is re-coupled (its old
        coupling is replaced), otherwise `AlreadyCoupledError` is raised."""
        for _ in range(_COUPLE_ATTEMPTS):
            existing = [
                Coupling.from_doc(doc)
                async for doc in self._collection.find(
                    {"mapping": mapping, "$or": [{"erp.id": erp.id}, {"crm.id": crm.id}]}
                )
            ]
            same = next((c for c in existing if c.erp.id == erp.id and c.crm.id == crm.id), None)
            if same is not None:
                return CoupleResult(coupling=same, replaced=[], created=False)
            if existing and not replace_existing:
                raise AlreadyCoupledError(existing[0])
            # The coupling that holds this CRM record for another ERP record must go first;
            # the one holding this ERP record is then re-pointed in place (one atomic upsert),
            # so the ERP record is never left uncoupled half-way.
            taken_crm = [c for c in existing if c.crm.id == crm.id and c.erp.id != erp.id]
            if taken_crm:
                await self._collection.delete_many(
                    {"_id": {"$in": [ObjectId(c.id) for c in taken_crm]}}
                )
            now = _now()
            try:
                doc = await self._collection.find_one_and_update(
                    {"mapping": mapping, "erp.id": erp.id},
                    {
                        "$set": {
                            "erp": erp.to_doc(),
                            "crm": crm.to_doc(),
                            "state": CouplingState.COUPLED.value,
                            "synced_values": dict(synced_values or {}),
                            "last_synced_at": None,
                            "last_direction": None,
                            "error_count": 0,
                            "last_error": None,
                            "updated_at": now,
                        },
                        "$setOnInsert": {"created_at": now},
                    },
                    upsert=True,
                    return_document=ReturnDocument.AFTER,
                )
            except DuplicateKeyError:
                continue  # a concurrent call coupled one of the records; look again
            if doc is None:
                # An upsert that lost a race to a concurrent insert can come back empty on
                # some servers instead of raising; looking again settles it the same way.
                continue
            replaced = [c for c in existing if c.erp.id == erp.id] + taken_crm
            return CoupleResult(coupling=Coupling.from_doc(doc), replaced=replaced, created=True)
        raise ConcurrentCouplingError(
            f"could not couple ERP {erp.id} and CRM {crm.id} in {mapping}: "
            "other calls kept changing their couplings"
        )

    async def uncouple(
        self, mapping: str, *, erp_id: str | None = None, crm_id: str | None = None
    ) -> Coupling | None:
        """Remove the coupling of a record (by either side); None when it was not coupled."""
        if erp_id is None and crm_id is None:
            raise ValueError("uncouple needs an ERP id or a CRM id")
        query: Document = {"mapping": mapping}
        if erp_id is not None:
            query["erp.id"] = erp_id
        if crm_id is not None:
            query["crm.id"] = crm_id
        doc = await self._collection.find_one_and_delete(query)
        return Coupling.from_doc(doc) if doc else None

    async def insert_new(
        self, mapping: str, couplings: Sequence[NewCoupling]
    ) -> list[Coupling | None]:
        """Insert the couplings a batch made, together; None in place of each one a
        concurrent caller beat us to (the unique indexes refuse the second)."""
        if not couplings:
            return []
        now = _now()
        docs = [
            {
                "_id": ObjectId(),
                "mapping": mapping,
                "erp": new.erp.to_doc(),
                "crm": new.crm.to_doc(),
                "state": CouplingState.COUPLED.value,
                "synced_values": {k: dict(v) for k, v in new.synced_values.items()},
                "last_synced_at": now,
                "last_direction": new.direction,
                "error_count": 0,
                "last_error": None,
                "created_at": now,
                "updated_at": now,
            }
            for new in couplings
        ]
        refused: set[int] = set()
        try:
            await self._collection.insert_many(docs, ordered=False)
        except BulkWriteError as exc:
            errors = exc.details.get("writeErrors", [])
            if any(error.get("code") != _DUPLICATE_KEY for error in errors):
                raise
            refused = {int(error["index"]) for error in errors}
        return [
            None if index in refused else Coupling.from_doc(doc) for index, doc in enumerate(docs)
        ]

    async def apply_changes(
        self, changes: CouplingChanges, *, owns: bool = True, skip_after: int
    ) -> None:
        """A batch's coupling changes in one ordered bulk write. `owns` is False for a
        mapping that borrows another's couplings: it only adds its own rows to their
        `synced_values`, leaving sync time, direction and state to the owner. A failure is
        counted with `$inc`, so concurrent failures of one pair all count; a pair that
        reached `skip_after` failures is then SKIPPED by the write that follows it."""
        operations: list[UpdateOne | DeleteOne] = []
        now = _now()
        for synced in changes.synced:
            values: Document = {
                f"synced_values.{key}": dict(value) for key, value in synced.synced_values.items()
            }
            if owns:
                values.update(
                    {
                        "last_synced_at": now,
                        "last_direction": synced.direction,
                        "state": CouplingState.COUPLED.value,
                        "error_count": 0,
                        "last_error": None,
                    }
                )
                if synced.erp is not None:
                    values["erp"] = synced.erp.to_doc()
                if synced.crm is not None:
                    values["crm"] = synced.crm.to_doc()
            if values:
                values["updated_at"] = now
                operations.append(
                    UpdateOne({"_id": ObjectId(synced.coupling.id)}, {"$set": values})
                )
        for failed in changes.failed:
            oid = ObjectId(failed.coupling.id)
            operations.append(
                UpdateOne(
                    {"_id": oid},
                    {
                        "$inc": {"error_count": 1},
                        "$set": {
                            "state": CouplingState.ERROR.value,
                            "last_error": failed.message,
                            "updated_at": now,
                        },
                    },
                )
            )
            operations.append(
                UpdateOne(
                    {"_id": oid, "error_count": {"$gte": skip_after}},
                    {"$set": {"state": CouplingState.SKIPPED.value}},
                )
            )
        operations += [DeleteOne({"_id": ObjectId(c.id)}) for c in changes.removed]
        if operations:
            await self._collection.bulk_write(operations, ordered=True)

    async def set_state(self, coupling_id: str, state: CouplingState) -> None:
        await self._collection.update_one(
            {"_id": ObjectId(coupling_id)},
            {"$set": {"state": state.value, "updated_at": _now()}},
        )

    async def page(
        self,
        *,
        mapping: str | None = None,
        state: CouplingState | None = None,
        after_id: str | None = None,
        size: int = 50,
        record: Document | None = None,
    ) -> tuple[list[Coupling], bool]:
        """One page in id order, and whether more follow; `ValueError` names a bad `after`.
        `record` is a condition on either side's record: its id equal to `id`, or its natural
        key matching `key`."""
        query: Document = {}
        if record is not None:
            query["$or"] = [
                {f"{side}.{field}": condition}
                for side in ("erp", "crm")
                for field, condition in record.items()
            ]
        if mapping is not None:
            query["mapping"] = mapping
        if state is not None:
            query["state"] = state.value
        if after_id is not None:
            oid = parse_coupling_id(after_id)
            if oid is None:
                raise ValueError("after: not a coupling id")
            query["_id"] = {"$gt": oid}
        cursor = self._collection.find(query).sort("_id", ASCENDING).limit(size + 1)
        docs = [doc async for doc in cursor]
        return [Coupling.from_doc(doc) for doc in docs[:size]], len(docs) > size

    async def side_ids_page(
        self, mapping: str, side: SideName, *, after: str | None = None, size: int = 50
    ) -> tuple[list[str], bool]:
        """Ids of coupled records of one side, in id order: for "coupled only" listings."""
        query: Document = {"mapping": mapping}
        if after is not None:
            query[f"{side}.id"] = {"$gt": after}
        cursor = (
            self._collection.find(query, projection={f"{side}.id": 1, "_id": 0})
            .sort(f"{side}.id", ASCENDING)
            .limit(size + 1)
        )
        ids = [doc[side]["id"] async for doc in cursor]
        return ids[:size], len(ids) > size

    async def last_coupled_at(self, mapping: str) -> datetime | None:
        """When the newest coupling of `mapping` was made (None: it has none)."""
        doc = await self._collection.find_one(
            {"mapping": mapping}, projection={"created_at": 1}, sort=[("created_at", -1)]
        )
        return doc.get("created_at") if doc is not None else None

    async def count(self, mapping: str, *, state: CouplingState | None = None) -> int:
        query: Document = {"mapping": mapping}
        if state is not None:
            query["state"] = state.value
        return await self._collection.count_documents(query)

    async def ids_coupled(self, mapping: str, side: SideName, ids: Sequence[str]) -> set[str]:
        return set((await self.by_ids(mapping, side, ids)).keys())
