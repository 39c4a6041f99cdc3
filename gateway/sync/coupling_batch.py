"""Coupling changes of a whole sync batch in one round trip each: new couplings inserted
together (a duplicate on the unique indexes means someone else coupled first), and every
update, failure count and removal of the batch in one unordered bulk write.

Documents have the shape `gateway.store.couplings` reads and writes. A mapping that uses
another mapping's couplings (`coupled_through`) only adds its own rows to their
`synced_values`, leaving the owner's sync time, direction and state alone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bson import ObjectId
from pymongo import DeleteOne, UpdateOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError

from gateway.store.couplings import COLLECTION, CoupledRecord, Coupling, CouplingState
from gateway.types import Document

Baseline = Mapping[str, Mapping[str, Any]]
_DUPLICATE_KEY = 11000


@dataclass(frozen=True, slots=True)
class NewCoupling:
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
    synced: list[Synced] = field(default_factory=list)
    failed: list[Failed] = field(default_factory=list)
    removed: list[Coupling] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.synced or self.failed or self.removed)


def _now() -> datetime:
    return datetime.now(UTC)


class CouplingBatch:
    def __init__(self, db: AsyncDatabase[Document], mapping: str, *, owns: bool = True) -> None:
        """`mapping` names the couplings; `owns` is False for a mapping that borrows them."""
        self._collection: AsyncCollection[Document] = db[COLLECTION]
        self._mapping = mapping
        self._owns = owns

    async def insert(self, couplings: Sequence[NewCoupling]) -> list[Coupling | None]:
        """Insert new couplings; None in place of each one a concurrent caller beat us to."""
        if not couplings:
            return []
        now = _now()
        docs = [
            {
                "_id": ObjectId(),
                "mapping": self._mapping,
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

    async def apply(self, changes: CouplingChanges, *, skip_after: int) -> None:
        operations: list[UpdateOne | DeleteOne] = []
        now = _now()
        for synced in changes.synced:
            values: Document = {
                f"synced_values.{key}": dict(value) for key, value in synced.synced_values.items()
            }
            if self._owns:
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
            count = failed.coupling.error_count + 1
            state = CouplingState.SKIPPED if count >= skip_after else CouplingState.ERROR
            operations.append(
                UpdateOne(
                    {"_id": ObjectId(failed.coupling.id)},
                    {
                        "$set": {
                            "error_count": count,
                            "state": state.value,
                            "last_error": failed.message,
                            "updated_at": now,
                        }
                    },
                )
            )
        operations += [DeleteOne({"_id": ObjectId(c.id)}) for c in changes.removed]
        if operations:
            await self._collection.bulk_write(operations, ordered=False)


def needs_update(coupling: Coupling, baseline: Baseline) -> bool:
    """Whether a pair that needed no write still has something to remember."""
    if coupling.state is not CouplingState.COUPLED or coupling.last_synced_at is None:
        return True
    return any(coupling.synced_values.get(key) != dict(value) for key, value in baseline.items())
