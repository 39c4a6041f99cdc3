"""What every Business Central handler needs: the database, companies, keys, ETags and the
number series that give documents their numbers (C00010, S-QUO1001, PS-INV1001, …)."""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass
from typing import Any

from pymongo import ReturnDocument

from sandbox.bc.catalogue import ALIASES, CATALOGUE, COMPANIES, COMPANY_SETS, NAMESPACE
from sandbox.errors import ErrorKind, SandboxError
from sandbox.model import COMPANY, VERSION, EntitySet
from sandbox.odata.options import Schema
from sandbox.odata.paths import Segment
from sandbox.store.database import COUNTERS, ApiDatabase, Doc

SCHEMA = Schema(CATALOGUE, NAMESPACE)
# The company every fresh sandbox has; connector configuration can rely on this id.
DEFAULT_COMPANY_ID = "5d6a1f00-0000-4000-8000-0000000000c1"
DEFAULT_COMPANY_NAME = "CRONUS Sandbox"

# series -> (prefix, digits, first number, increment)
SERIES: dict[str, tuple[str, int, int, int]] = {
    "customers": ("C", 5, 10, 10),
    "contacts": ("CT", 6, 10, 10),
    "items": ("", 4, 1000, 1),
    "salesQuotes": ("S-QUO", 4, 1001, 1),
    "salesOrders": ("S-ORD", 4, 1001, 1),
    "salesInvoices": ("S-INV", 4, 1001, 1),
    "postedSalesInvoices": ("PS-INV", 4, 1001, 1),
    "projects": ("PR", 5, 10, 10),
    "customerPayments": ("G", 5, 1, 1),
    "resources": ("R", 4, 10, 10),
    "employees": ("E", 4, 10, 10),
    "projectLedgerEntries": ("", 1, 1, 1),
}


def etag(doc: Doc) -> str:
    version = str(doc[VERSION])
    raw = f"'{len(version)};{version};00;'".encode()
    return f'W/"{base64.b64encode(raw).decode()}"'


def format_number(series: str, ordinal: int) -> str:
    prefix, digits, first, step = SERIES[series]
    return f"{prefix}{first + (ordinal - 1) * step:0{digits}d}"


@dataclass
class BusinessCentral:
    db: ApiDatabase

    def entity_set(self, name: str) -> EntitySet:
        found = COMPANY_SETS.get(ALIASES.get(name, name))
        if found is None:
            raise SandboxError(
                ErrorKind.UNKNOWN_RESOURCE, f"Resource not found for the segment '{name}'."
            )
        return found

    @staticmethod
    def key(segment: Segment) -> str:
        raw = (segment.key or "").strip()
        try:
            return str(uuid.UUID(raw))
        except ValueError:
            raise SandboxError(
                ErrorKind.BAD_QUERY,
                f"'{raw}' is not a valid key for '{segment.name}': use the record's id (a GUID).",
            ) from None

    async def company(self, segment: Segment) -> str:
        company_id = self.key(segment)
        if await self.db.collection(COMPANIES).find_one({"_id": company_id}, {"_id": 1}) is None:
            raise SandboxError(
                ErrorKind.NOT_FOUND, f"The company with the id '{company_id}' does not exist."
            )
        return company_id

    async def get(self, entity_set: EntitySet, company: str, key: str) -> Doc | None:
        return await self.db.collection(entity_set).find_one({"_id": key, COMPANY: company})

    async def require(self, entity_set: EntitySet, company: str, key: str) -> Doc:
        found = await self.get(entity_set, company, key)
        if found is None:
            raise SandboxError(
                ErrorKind.NOT_FOUND,
                f"The {entity_set.entity} does not exist. Identification fields and values: "
                f"Id='{key}'",
            )
        return found

    async def find_by(self, entity_set: EntitySet, company: str, **match: Any) -> Doc | None:
        return await self.db.collection(entity_set).find_one({**match, COMPANY: company})

    async def reserve(self, company: str, series: str, count: int = 1) -> int:
        """Reserve `count` numbers of a series; returns the first one's ordinal."""
        found = await self.db.database[COUNTERS].find_one_and_update(
            {"_id": f"series:{company}:{series}"},
            {"$inc": {"value": count}},
            upsert=True,
            return_document=ReturnDocument.AFTER,
        )
        assert found is not None
        return int(found["value"]) - count + 1

    async def next_number(self, company: str, series: str, count: int = 1) -> list[str]:
        first = await self.reserve(company, series, count)
        return [format_number(series, ordinal) for ordinal in range(first, first + count)]
