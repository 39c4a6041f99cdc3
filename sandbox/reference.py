"""Reference data every sandbox has after a reset, with stable ids that configuration and tests
can rely on: the Dataverse application user, base currency, unit group and price list; the
Business Central default company, its currencies, units of measure and customer price groups;
and Dataverse's messages (Create, Update, Delete) with a message filter per table, which
webhook steps refer to."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sandbox.bc.catalogue import COMPANIES, COMPANY_SETS
from sandbox.bc.context import DEFAULT_COMPANY_ID, DEFAULT_COMPANY_NAME
from sandbox.dataverse.catalogue import TABLES
from sandbox.model import COMPANY, KEY, SEQ, VERSION, EntitySet
from sandbox.store.database import ApiDatabase

# Dataverse
CALLER_ID = "8a1b7c55-0c6e-4d8e-9d4f-2b5c3a1e0001"  # the application user of the client
USD_ID = "8a1b7c55-0c6e-4d8e-9d4f-2b5c3a1e0101"
EUR_ID = "8a1b7c55-0c6e-4d8e-9d4f-2b5c3a1e0102"
UNIT_GROUP_ID = "8a1b7c55-0c6e-4d8e-9d4f-2b5c3a1e0201"
UNIT_ID = "8a1b7c55-0c6e-4d8e-9d4f-2b5c3a1e0202"
PRICE_LIST_ID = "8a1b7c55-0c6e-4d8e-9d4f-2b5c3a1e0301"
ORGANIZATION_ID = "8a1b7c55-0c6e-4d8e-9d4f-2b5c3a1e0401"
# Business Central: the company's information record; its local currency is US dollars.
COMPANY_INFORMATION_ID = "5d6a1f00-0000-4000-8000-000000000401"
LOCAL_CURRENCY = "USD"

_EPOCH = dt.datetime(2020, 1, 1)


MESSAGES = ("Create", "Update", "Delete")
_REGISTRATION = frozenset(
    {"serviceendpoints", "sdkmessages", "sdkmessagefilters", "sdkmessageprocessingsteps"}
)


def message_id(name: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"sdkmessage:{name}"))


def _messages() -> list[tuple[str, dict[str, Any]]]:
    stamp = {"createdon": _EPOCH, "modifiedon": _EPOCH}
    records: list[tuple[str, dict[str, Any]]] = [
        ("sdkmessages", {"_id": message_id(name), "name": name, **stamp}) for name in MESSAGES
    ]
    for name in MESSAGES:
        for table_name, table in TABLES.items():
            if table_name in _REGISTRATION:
                continue
            entity = table.entity_set.entity
            records.append(
                (
                    "sdkmessagefilters",
                    {
                        "_id": str(
                            uuid.uuid5(uuid.NAMESPACE_URL, f"sdkmessagefilter:{name}:{entity}")
                        ),
                        "primaryobjecttypecode": entity,
                        "secondaryobjecttypecode": "none",
                        "iscustomprocessingstepallowed": True,
                        "_sdkmessageid_value": message_id(name),
                        **stamp,
                    },
                )
            )
    return records


def _dataverse_records() -> list[tuple[str, dict[str, Any]]]:
    stamp = {"createdon": _EPOCH, "modifiedon": _EPOCH}
    return [
        *_messages(),
        (
            "systemusers",
            {
                "_id": CALLER_ID,
                "firstname": "Integration",
                "lastname": "User",
                "fullname": "Integration User",
                "internalemailaddress": "integration@sandbox.local",
                "domainname": "integration@sandbox.local",
                "isdisabled": False,
                **stamp,
            },
        ),
        (
            "transactioncurrencies",
            {
                "_id": USD_ID,
                "isocurrencycode": "USD",
                "currencyname": "US Dollar",
                "currencysymbol": "$",
                "exchangerate": 1.0,
                "currencyprecision": 2,
                "statecode": 0,
                "statuscode": 1,
                **stamp,
            },
        ),
        (
            "transactioncurrencies",
            {
                "_id": EUR_ID,
                "isocurrencycode": "EUR",
                "currencyname": "Euro",
                "currencysymbol": "€",
                "exchangerate": 0.92,
                "currencyprecision": 2,
                "statecode": 0,
                "statuscode": 1,
                **stamp,
            },
        ),
        (
            "organizations",
            {
                "_id": ORGANIZATION_ID,
                "name": "Sandbox",
                "_basecurrencyid_value": USD_ID,
                **stamp,
            },
        ),
        (
            "uomschedules",
            {
                "_id": UNIT_GROUP_ID,
                "name": "Default Unit",
                "baseuomname": "Primary Unit",
                "statecode": 0,
                "statuscode": 1,
                "_ownerid_value": CALLER_ID,
                **stamp,
            },
        ),
        (
            "uoms",
            {
                "_id": UNIT_ID,
                "name": "Primary Unit",
                "quantity": 1.0,
                "isschedulebaseuom": True,
                "_uomscheduleid_value": UNIT_GROUP_ID,
                "_baseuom_value": None,
                **stamp,
            },
        ),
        (
            "pricelevels",
            {
                "_id": PRICE_LIST_ID,
                "name": "Default Price List",
                "_transactioncurrencyid_value": USD_ID,
                "statecode": 0,
                "statuscode": 100001,
                **stamp,
            },
        ),
    ]


def _bc_records() -> list[tuple[EntitySet, dict[str, Any]]]:
    company = {COMPANY: DEFAULT_COMPANY_ID, "lastModifiedDateTime": _EPOCH}
    currencies = [
        ("EUR", "Euro", "€"),
        ("GBP", "Pound Sterling", "£"),
        ("CAD", "Canadian Dollar", "$"),
    ]
    units = [
        ("PCS", "Piece", "EA"),
        ("HOUR", "Hour", "HUR"),
        ("BOX", "Box", "BX"),
        ("DAY", "Day", "DAY"),
    ]
    groups = [("RETAIL", "Retail"), ("WHOLESALE", "Wholesale")]
    records: list[tuple[EntitySet, dict[str, Any]]] = [
        (
            COMPANIES,
            {
                "_id": DEFAULT_COMPANY_ID,
                "systemVersion": "24.0.0.0",
                "timestamp": 1,
                "name": DEFAULT_COMPANY_NAME,
                "displayName": DEFAULT_COMPANY_NAME,
                "businessProfileId": "",
                "systemCreatedAt": _EPOCH,
                "systemCreatedBy": "00000000-0000-0000-0000-000000000001",
                "systemModifiedAt": _EPOCH,
                "systemModifiedBy": "00000000-0000-0000-0000-000000000001",
            },
        ),
    ]
    records.append(
        (
            COMPANY_SETS["companyInformation"],
            {
                "_id": COMPANY_INFORMATION_ID,
                "displayName": DEFAULT_COMPANY_NAME,
                "country": "US",
                "currencyCode": LOCAL_CURRENCY,
                "currentFiscalYearStartDate": _EPOCH.date().isoformat(),
                **company,
            },
        )
    )
    for index, (code, name, symbol) in enumerate(currencies, start=1):
        records.append(
            (
                COMPANY_SETS["currencies"],
                {
                    "_id": f"5d6a1f00-0000-4000-8000-0000000001{index:02d}",
                    "code": code,
                    "displayName": name,
                    "symbol": symbol,
                    "amountDecimalPlaces": "2:2",
                    "amountRoundingPrecision": 0.01,
                    **company,
                },
            )
        )
    for index, (code, name, iso) in enumerate(units, start=1):
        records.append(
            (
                COMPANY_SETS["unitsOfMeasure"],
                {
                    "_id": f"5d6a1f00-0000-4000-8000-0000000002{index:02d}",
                    "code": code,
                    "displayName": name,
                    "internationalStandardCode": iso,
                    "symbol": "",
                    **company,
                },
            )
        )
    for index, (code, name) in enumerate(groups, start=1):
        records.append(
            (
                COMPANY_SETS["customerPriceGroups"],
                {
                    "_id": f"5d6a1f00-0000-4000-8000-0000000003{index:02d}",
                    "code": code,
                    "displayName": name,
                    "allowInvoiceDiscount": True,
                    "priceIncludesTax": False,
                    **company,
                },
            )
        )
    return records


async def install(dataverse: ApiDatabase, bc: ApiDatabase) -> None:
    """Insert whichever reference records are missing (one look per entity set)."""
    await _ensure(dataverse, [(TABLES[name].entity_set, doc) for name, doc in _dataverse_records()])
    await _ensure(bc, _bc_records())


async def _ensure(db: ApiDatabase, records: list[tuple[EntitySet, dict[str, Any]]]) -> None:
    by_set: dict[str, list[tuple[EntitySet, dict[str, Any]]]] = {}
    for entity_set, doc in records:
        by_set.setdefault(entity_set.name, []).append((entity_set, doc))
    for name, wanted in by_set.items():
        ids = [doc["_id"] for _, doc in wanted]
        cursor = db.collection(name).find({"_id": {"$in": ids}}, {"_id": 1})
        present = {found["_id"] async for found in cursor}
        missing = [dict(doc) for _, doc in wanted if doc["_id"] not in present]
        if not missing:
            continue
        async with db.clock.writing(len(missing)) as first:
            for version, doc in enumerate(missing, start=first):
                doc.update({SEQ: version, VERSION: version, KEY: doc["_id"]})
            await db.collection(name).insert_many(missing)
