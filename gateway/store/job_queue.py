"""The sync engine's part of `job_queue_entries`: per mapping, where each side's change feed
was left (`erp_token`, `crm_token`).

The document is the mapping's job queue entry; the scheduler keeps its own fields (status,
minutes between runs, next run) in the same document, so every write here touches only the
token fields. A token is saved only after the batch it follows has been applied.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Literal

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

Document = dict[str, Any]
SideName = Literal["erp", "crm"]

COLLECTION = "job_queue_entries"


def token_field(side: SideName) -> str:
    return f"{side}_token"


class JobQueueTokens:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._collection: AsyncCollection[Document] = db[COLLECTION]

    async def tokens(self, mapping: str) -> dict[SideName, str | None]:
        doc = await self._collection.find_one(
            {"mapping": mapping}, projection={"erp_token": 1, "crm_token": 1}
        )
        doc = doc or {}
        return {"erp": doc.get("erp_token"), "crm": doc.get("crm_token")}

    async def save_token(self, mapping: str, side: SideName, token: str | None) -> None:
        await self.save_tokens(mapping, {side: token})

    async def save_tokens(self, mapping: str, tokens: Mapping[SideName, str | None]) -> None:
        if not tokens:
            return
        now = datetime.now(UTC)
        changes: Document = {token_field(side): token for side, token in tokens.items()}
        changes.update({f"{side}_token_saved_at": now for side in tokens})
        await self._collection.update_one(
            {"mapping": mapping},
            {"$set": changes, "$setOnInsert": {"created_at": now}},
            upsert=True,
        )

    async def forget(self, mapping: str) -> None:
        """Start the next incremental run from scratch (after the mapping changed, say)."""
        await self._collection.update_one(
            {"mapping": mapping}, {"$set": {"erp_token": None, "crm_token": None}}
        )
