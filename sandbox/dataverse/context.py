"""What every Dataverse handler needs: the database, the schema, and who is calling."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from sandbox.dataverse.catalogue import CATALOGUE, NAMESPACE, TABLES, Table
from sandbox.errors import ErrorKind, SandboxError
from sandbox.model import VERSION
from sandbox.odata.options import Schema
from sandbox.odata.paths import Segment
from sandbox.store.database import ApiDatabase, Doc

SCHEMA = Schema(CATALOGUE, NAMESPACE)

# The user a request acts as: the application user, or the one it impersonates with the
# `MSCRMCallerID` header. Writes take it as their owner and webhooks as the initiating user.
ACTING_USER: ContextVar[str | None] = ContextVar("acting_user", default=None)

# Alternate keys defined on the tables: `accounts(accountnumber='A-1001')`.
ALTERNATE_KEYS: dict[str, frozenset[str]] = {
    "accounts": frozenset({"accountnumber"}),
    "products": frozenset({"productnumber"}),
    "transactioncurrencies": frozenset({"isocurrencycode"}),
    "systemusers": frozenset({"domainname"}),
    "quotes": frozenset({"quotenumber"}),
    "msdyn_projects": frozenset({"erp_projectnumber"}),
}


@dataclass
class Dataverse:
    db: ApiDatabase
    caller_id: str  # the application user the sandbox's client credentials act as

    def table(self, name: str) -> Table:
        table = TABLES.get(name)
        if table is None:
            raise SandboxError(
                ErrorKind.UNKNOWN_RESOURCE, f"Resource not found for the segment '{name}'."
            )
        return table

    def key_filter(self, table: Table, segment: Segment) -> dict[str, Any]:
        raw = segment.key or ""
        if "=" not in raw:
            try:
                return {"_id": str(uuid.UUID(raw.strip()))}
            except ValueError:
                raise SandboxError(
                    ErrorKind.BAD_QUERY,
                    f"Unrecognized 'Edm.Guid' literal '{raw}' in the key of '{segment.name}'.",
                ) from None
        values = segment.key_values()
        allowed = ALTERNATE_KEYS.get(table.entity_set.name, frozenset())
        if not values or set(values) - allowed:
            raise SandboxError(
                ErrorKind.BAD_QUERY,
                f"The key '{raw}' is not an alternate key of the table "
                f"'{table.entity_set.entity}'.",
            )
        return dict(values)

    @property
    def acting_user(self) -> str:
        return ACTING_USER.get() or self.caller_id

    async def impersonated(self, headers: Mapping[str, str]) -> str | None:
        """The user named by `MSCRMCallerID`, checked to exist; None without the header."""
        raw = headers.get("mscrmcallerid")
        if raw is None:
            return None
        try:
            user = str(uuid.UUID(raw.strip()))
        except ValueError:
            raise SandboxError(
                ErrorKind.BAD_QUERY, f"The MSCRMCallerID header value '{raw}' is not a GUID."
            ) from None
        users = self.db.collection(TABLES["systemusers"].entity_set)
        if await users.find_one({"_id": user}, {"_id": 1}) is None:
            raise SandboxError(ErrorKind.NOT_FOUND, f"systemuser With Id = {user} Does Not Exist")
        return user

    async def find(self, table: Table, key: dict[str, Any]) -> Doc | None:
        return await self.db.collection(table.entity_set).find_one(key)

    async def require(self, table: Table, key: dict[str, Any]) -> Doc:
        found = await self.find(table, key)
        if found is None:
            shown = key.get("_id") or ", ".join(f"{k}={v}" for k, v in key.items())
            raise SandboxError(
                ErrorKind.NOT_FOUND,
                f"Entity '{table.entity_set.entity}' With Id = {shown} Does Not Exist",
            )
        return found


def etag(doc: Doc) -> str:
    return f'W/"{doc[VERSION]}"'


def entity_url(root: str, table: Table, key: str) -> str:
    return f"{root}{table.entity_set.name}({key})"
