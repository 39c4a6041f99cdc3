"""API keys: long random tokens, stored only as their SHA-256, each with a name and a role.

Why SHA-256 and not a password hash (bcrypt, scrypt, argon2): those are slow on purpose, to
make guessing a low-entropy password expensive. Our keys carry 256 bits from `secrets`, so
there is nothing to guess; a fast hash loses nothing, lets a request find its key with one
indexed equality lookup, and costs microseconds instead of tens of milliseconds per request.
A leaked `api_keys` collection still reveals no usable key, and looking a key up by its hash
leaves no timing signal to probe it byte by byte.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import re
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bson import ObjectId
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError, PyMongoError

from gateway.auth.roles import Caller, Role
from gateway.services import Services
from gateway.store.indexes import COLLECTION_INDEXES
from gateway.types import Document

log = logging.getLogger(__name__)


COLLECTION = "api_keys"
KEY_PREFIX = "gw_"
DEV_KEY_NAME = "dev"
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
# Presented keys longer than this are refused without hashing: ours are 46 characters.
MAX_PRESENTED_KEY_LENGTH = 256
# Last-used timestamps are a hint for people, not an audit: one write per key per minute.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class ApiKeyError(ValueError):
    """A key cannot be created or changed as asked; `field` names the input at fault."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class ApiKeyNameTakenError(ApiKeyError):
    def __init__(self, name: str) -> None:
        super().__init__("name", f"an API key named '{name}' already exists")


@dataclass(frozen=True, slots=True)
class ApiKey:
    """What the gateway knows about a key; never the key itself."""

    id: str
    name: str
    role: Role
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    @classmethod
    def from_document(cls, document: Document) -> ApiKey:
        return cls(
            id=str(document["_id"]),
            name=document["name"],
            role=Role(document["role"]),
            created_at=document["created_at"],
            last_used_at=document.get("last_used_at"),
            revoked_at=document.get("revoked_at"),
        )


def generate_key() -> str:
    """A new key: a recognisable prefix (for secret scanners) and 256 random bits."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def validate_name(name: str) -> str:
    if not NAME_PATTERN.fullmatch(name):
        raise ApiKeyError(
            "name",
            "must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit",
        )
    return name


class ApiKeyStore:
    """The one repository of the `api_keys` collection."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._collection: AsyncCollection[Document] = db[COLLECTION]

    async def ensure_indexes(self) -> None:
        """For commands that may run before the API ever started on this database."""
        await self._collection.create_indexes(COLLECTION_INDEXES[COLLECTION])

    async def create(self, name: str, role: Role) -> tuple[ApiKey, str]:
        """Store a new key; returns it with the plain key, which is not kept anywhere."""
        validate_name(name)
        key = generate_key()
        document: Document = {
            "_id": ObjectId(),
            "name": name,
            "role": role.value,
            "hash": hash_key(key),
            "created_at": _now(),
            "last_used_at": None,
            "revoked_at": None,
        }
        try:
            await self._collection.insert_one(document)
        except DuplicateKeyError:
            raise ApiKeyNameTakenError(name) from None
        return ApiKey.from_document(document), key

    async def list(self) -> list[ApiKey]:
        cursor = self._collection.find({}, projection={"hash": False}).sort("name", 1)
        return [ApiKey.from_document(document) async for document in cursor]

    async def get(self, name: str) -> ApiKey | None:
        document = await self._collection.find_one({"name": name}, projection={"hash": False})
        return None if document is None else ApiKey.from_document(document)

    async def revoke(self, name: str) -> ApiKey | None:
        """Revoke the key named `name` (at once, on every replica); None if there is none.

        The record stays, so that `list` and the integration log keep saying who it was."""
        await self._collection.update_one(
            {"name": name, "revoked_at": None}, {"$set": {"revoked_at": _now()}}
        )
        return await self.get(name)

    async def authenticate(self, key: str) -> Caller | None:
        """The caller a presented key stands for, or None if it is unknown or revoked."""
        if not key or len(key) > MAX_PRESENTED_KEY_LENGTH:
            return None
        document = await self._collection.find_one(
            {"hash": hash_key(key), "revoked_at": None},
            projection={"name": True, "role": True, "last_used_at": True},
        )
        if document is None:
            return None
        await self._touch(document)
        return Caller(
            key_id=str(document["_id"]), name=document["name"], role=Role(document["role"])
        )

    async def _touch(self, document: Document) -> None:
        now = _now()
        stale = now - LAST_USED_RESOLUTION
        last_used: datetime | None = document.get("last_used_at")
        if last_used is not None and last_used > stale:
            return
        # Conditional, so that replicas racing on the same key write once.
        await self._collection.update_one(
            {
                "_id": document["_id"],
                "$or": [{"last_used_at": None}, {"last_used_at": {"$lte": stale}}],
            },
            {"$set": {"last_used_at": now}},
        )

    async def ensure(self, name: str, key: str, role: Role) -> None:
        """Make `key` an active key named `name` with `role`, whatever the store held before:
        an earlier key under that name is replaced. Running it again changes nothing."""
        digest = hash_key(key)
        await self._collection.delete_many({"name": name, "hash": {"$ne": digest}})
        update = {
            "$set": {"name": name, "role": role.value, "revoked_at": None},
            "$setOnInsert": {"created_at": _now(), "last_used_at": None},
        }
        try:
            await self._collection.update_one({"hash": digest}, update, upsert=True)
        except DuplicateKeyError:
            # Another replica inserted it between our lookup and insert: now it is an update.
            await self._collection.update_one({"hash": digest}, update)


class DevKeyBootstrap:
    """In dev mode, GATEWAY_DEV_API_KEY is an admin key named `dev`.

    The key is ensured once per process: in the background as soon as the store is ready,
    and, should a request arrive first, before that request is authenticated."""

    def __init__(self, key: str | None) -> None:
        self._key = key
        self._done = key is None
        self._lock = asyncio.Lock()

    @contextlib.asynccontextmanager
    async def running(self, services: Services) -> AsyncIterator[None]:
        """Ensure the key in the background once the store is ready, for the block's life."""
        task = asyncio.create_task(self._ensure_when_ready(services), name="dev-api-key")
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _ensure_when_ready(self, services: Services) -> None:
        delay = 0.5
        while not self._done:
            await services.store_ready.wait()
            try:
                await self.ensure(services.db)
            except PyMongoError as exc:
                log.warning("dev API key not ensured yet (%s); retrying", type(exc).__name__)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30.0)

    async def ensure(self, db: AsyncDatabase[Document]) -> None:
        if self._done or self._key is None:
            return
        async with self._lock:
            if self._done:
                return
            await ApiKeyStore(db).ensure(DEV_KEY_NAME, self._key, Role.ADMIN)
            self._done = True
            log.info("dev API key ensured as admin key '%s'", DEV_KEY_NAME)


def _now() -> datetime:
    # MongoDB keeps milliseconds; rounding here keeps what we return equal to what we stored.
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)
