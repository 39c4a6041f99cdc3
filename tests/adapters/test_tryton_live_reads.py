"""The Tryton connector against a live trytond: sessions, batched reads, queries, changes."""

from __future__ import annotations

import uuid

import httpx
import pytest

from adapters.base import Connector, Entity, Page
from adapters.errors import AuthenticationError, NotFoundError, ValidationError
from adapters.filters import Compare, Contains, In, Not, Or, StartsWith, all_of, eq
from gateway.connectors import build_erp
from gateway.settings import Settings
from tests.adapters.tryton_server import LiveTryton, TrytonServer, live_connector
from tests.adapters.tryton_template import (
    CLERK_LOGIN,
    CLERK_PASSWORD,
    EMPLOYEE_NAME,
    SERVICE_PRODUCT_CODE,
)

pytestmark = pytest.mark.tryton

SEARCH_PARTIES = "model.party.party.search_read"
SEARCH_ADDRESSES = "model.party.address.search_read"


def tag() -> str:
    return uuid.uuid4().hex[:10]


def email(prefix: str, number: int) -> str:
    return f"buyer{number}@{prefix.lower().replace(' ', '-')}.example"


async def make_customers(tryton: LiveTryton, prefix: str, count: int) -> list[str]:
    ids = []
    for number in range(count):
        record = await tryton.connector.create(
            Entity.CUSTOMER,
            {
                "name": f"{prefix} {number:02d}",
                "email": email(prefix, number),
                "city": "Springfield" if number % 2 == 0 else "Shelbyville",
            },
        )
        ids.append(record.id)
    return ids


async def test_connector_satisfies_the_protocol(tryton: LiveTryton) -> None:
    assert isinstance(tryton.connector, Connector)
    specs = tryton.connector.entities()
    assert specs[Entity.CUSTOMER].native_name == "party.party"
    assert specs[Entity.QUOTE].lookups["party"] == Entity.CUSTOMER
    assert specs[Entity.CUSTOMER_STATISTICS].modified_field is None
    assert specs[Entity.INVOICE].read_only


async def test_login_sends_the_session_and_logs_in_again_when_it_expires(
    tryton: LiveTryton, tryton_server: TrytonServer
) -> None:
    await tryton.connector.login()
    first = await tryton.connector.query(Entity.CURRENCY, eq("code", "USD"))
    assert [record.get("code") for record in first.records] == ["USD"]
    authorization = tryton.calls[-1][1]
    assert authorization is not None
    assert authorization.startswith("Session ")

    # End the session behind the connector's back, as an expiry would.
    async with httpx.AsyncClient() as client:
        response = await client.post(
            f"{tryton_server.url}/{tryton_server.database}/rpc/",
            json={"id": 1, "method": "common.db.logout", "params": []},
            headers={"Authorization": authorization},
        )
    assert response.status_code == 200

    again = await tryton.connector.query(Entity.CURRENCY, eq("code", "USD"))
    assert [record.id for record in again.records] == [record.id for record in first.records]
    assert tryton.count("common.db.login") == 2
    assert tryton.calls[-1][1] != authorization
    # The refused call, the login, then the same call again.
    assert tryton.methods[-3:] == [
        "model.currency.currency.search_read",
        "common.db.login",
        "model.currency.currency.search_read",
    ]


async def test_wrong_password_is_an_authentication_error_without_the_password(
    tryton_server: TrytonServer,
) -> None:
    wrong = "not-the-Password-951"
    async with live_connector(tryton_server, password=wrong) as live:
        with pytest.raises(AuthenticationError) as caught:
            await live.connector.query(Entity.CURRENCY)
    assert caught.value.status == 401
    assert wrong not in str(caught.value)
    assert live.methods == ["common.db.login"]


async def test_missing_access_right_is_an_authentication_error(
    tryton_server: TrytonServer,
) -> None:
    async with live_connector(tryton_server, user=CLERK_LOGIN, password=CLERK_PASSWORD) as live:
        with pytest.raises(AuthenticationError) as caught:
            await live.connector.query(Entity.QUOTE)
    assert caught.value.code == "AccessError"
    assert "Sale" in caught.value.message


async def test_unknown_database_is_a_fatal_error(tryton_server: TrytonServer) -> None:
    config_server = TrytonServer(
        tryton_server.url, "no_such_db", tryton_server.user, "x", tryton_server.log_path
    )
    async with live_connector(config_server) as live:
        with pytest.raises(Exception, match="database not found") as caught:
            await live.connector.login()
    assert not isinstance(caught.value, AuthenticationError)


async def test_get_many_reads_in_batches_of_the_configured_size(
    tryton_server: TrytonServer,
) -> None:
    prefix = f"Batch {tag()}"
    async with live_connector(tryton_server, batch_size=3) as live:
        ids = await make_customers(live, prefix, 7)
        live.calls.clear()
        asked = [*ids, "999999", "not-an-id", ids[0]]
        found = await live.connector.get_many(Entity.CUSTOMER, asked)

        assert sorted(found) == sorted(ids)
        assert found[ids[3]].get("name") == f"{prefix} 03"
        assert found[ids[3]].get("email") == email(prefix, 3)
        assert found[ids[3]].get("city") == "Shelbyville"
        assert found[ids[3]].etag
        assert found[ids[3]].modified_on is not None
        # Eight distinct ids, three per call: three calls for the parties, three for addresses.
        assert live.count(SEARCH_PARTIES) == 3
        assert live.count(SEARCH_ADDRESSES) == 3

        live.calls.clear()
        names = await live.connector.get_many(Entity.CUSTOMER, ids, fields=["name", "email"])
        assert live.methods == [SEARCH_PARTIES] * 3
        assert set(names[ids[0]].values) == {"name", "email"}


async def test_get_many_finds_archived_records(tryton: LiveTryton) -> None:
    record = await tryton.connector.create(Entity.CUSTOMER, {"name": f"Archived {tag()}"})
    await tryton.connector.update(Entity.CUSTOMER, record.id, {"active": False})
    found = await tryton.connector.get_many(Entity.CUSTOMER, [record.id])
    assert found[record.id].get("active") is False
    listed = await tryton.connector.query(Entity.CUSTOMER, eq("name", record.get("name")))
    assert listed.records == []


async def test_query_filters_and_pages(tryton: LiveTryton) -> None:
    prefix = f"Query {tag()}"
    ids = await make_customers(tryton, prefix, 5)
    connector = tryton.connector

    seen: list[str] = []
    cursor = None
    sizes = []
    while True:
        result = await connector.query(
            Entity.CUSTOMER,
            Contains("name", prefix.upper()),
            Page(size=2, cursor=cursor),
            order_by=["-name"],
            count=True,
        )
        assert result.total_count == 5
        sizes.append(len(result.records))
        seen += [record.id for record in result.records]
        cursor = result.next_cursor
        if cursor is None:
            break
    assert sizes == [2, 2, 1]
    assert seen == list(reversed(ids))

    in_springfield = await connector.query(
        Entity.CUSTOMER, all_of(StartsWith("name", prefix), eq("city", "Springfield"))
    )
    assert sorted(record.id for record in in_springfield.records) == sorted(ids[0::2])

    by_email = await connector.query(Entity.CUSTOMER, Contains("email", email(prefix, 1)[:-4]))
    assert [record.id for record in by_email.records] == [ids[1]]

    excluded = await connector.query(
        Entity.CUSTOMER,
        all_of(
            StartsWith("name", prefix),
            Not(Or((eq("name", f"{prefix} 00"), In("name", (f"{prefix} 04",))))),
        ),
        order_by=["name asc"],
    )
    assert [record.id for record in excluded.records] == ids[1:4]

    after = await connector.query(
        Entity.CUSTOMER, all_of(StartsWith("name", prefix), Compare("id", "gt", ids[3]))
    )
    assert [record.id for record in after.records] == [ids[4]]


async def test_query_refuses_bad_filters_before_calling(tryton: LiveTryton) -> None:
    await tryton.connector.login()
    before = len(tryton.calls)
    with pytest.raises(ValidationError, match=r"customer\.nickname: unknown field"):
        await tryton.connector.query(Entity.CUSTOMER, eq("nickname", "x"))
    with pytest.raises(ValidationError, match=r"customer\.active: expected true or false"):
        await tryton.connector.query(Entity.CUSTOMER, eq("active", "yes"))
    with pytest.raises(ValidationError, match="cannot be sorted"):
        await tryton.connector.query(Entity.CUSTOMER, order_by=["city"])
    with pytest.raises(NotFoundError, match="not served"):
        await tryton.connector.query("spaceship")
    assert len(tryton.calls) == before


async def test_changes_follow_creates_and_updates(tryton: LiveTryton) -> None:
    connector = tryton.connector
    token = None
    async for batch in connector.changes(Entity.CUSTOMER, None, page_size=1000):
        token = batch.token
        if batch.done:
            break
    assert token is not None

    prefix = f"Changes {tag()}"
    ids = await make_customers(tryton, prefix, 3)
    batches = [batch async for batch in connector.changes(Entity.CUSTOMER, token, page_size=2)]
    assert [len(batch.upserts) for batch in batches] == [2, 1]
    assert [batch.done for batch in batches] == [False, True]
    assert [record.id for batch in batches for record in batch.upserts] == ids
    assert all(batch.deleted_ids == [] for batch in batches)
    token = batches[-1].token

    quiet = [batch async for batch in connector.changes(Entity.CUSTOMER, token)]
    assert len(quiet) == 1
    assert quiet[0].upserts == []
    assert quiet[0].done
    assert quiet[0].token == token

    await connector.update(Entity.CUSTOMER, ids[1], {"phone": "+1 555 0101"})
    changed = [batch async for batch in connector.changes(Entity.CUSTOMER, token)]
    upserts = [record for batch in changed for record in batch.upserts]
    assert [record.id for record in upserts] == [ids[1]]
    assert upserts[0].get("phone") == "+1 555 0101"


async def test_damaged_tokens_and_cursors_are_refused(tryton: LiveTryton) -> None:
    with pytest.raises(ValidationError, match="token"):
        async for _ in tryton.connector.changes(Entity.CUSTOMER, "w1.!!!"):
            pass
    with pytest.raises(ValidationError, match="cursor"):
        await tryton.connector.query(Entity.CUSTOMER, page=Page(cursor="garbage"))


async def test_reference_entities(tryton: LiveTryton) -> None:
    connector = tryton.connector
    items = await connector.query(Entity.ITEM, eq("code", SERVICE_PRODUCT_CODE))
    (item,) = items.records
    assert item.get("name") == "Consulting"
    assert item.get("list_price") == 100.0
    assert item.get("unit_code") == "h"

    units = await connector.get_many(Entity.UNIT_OF_MEASURE, [item.get("default_uom")])
    assert units[item.get("default_uom")].get("name") == "Hour"

    currencies = await connector.query(Entity.CURRENCY, order_by=["code"])
    assert [record.get("code") for record in currencies.records] == ["EUR", "USD"]

    people = await connector.query(Entity.SALESPERSON)
    assert [record.get("name") for record in people.records] == [EMPLOYEE_NAME]


async def test_statistics_changes_are_a_snapshot(tryton: LiveTryton) -> None:
    batches = [
        batch
        async for batch in tryton.connector.changes(Entity.CUSTOMER_STATISTICS, None, page_size=2)
    ]
    assert batches[-1].done
    assert all(not batch.done for batch in batches[:-1])
    ids = [record.id for batch in batches for record in batch.upserts]
    assert len(ids) == len(set(ids)) >= 2
    assert {"balance", "totalSales", "overdueAmount"} <= set(batches[0].upserts[0].values)


async def test_the_gateway_settings_reach_a_live_server(tryton_server: TrytonServer) -> None:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        erp="tryton",
        tryton_url=tryton_server.url,
        tryton_database=tryton_server.database,
        tryton_user=tryton_server.user,
        tryton_password=tryton_server.password,
    )
    erp = build_erp(settings)
    assert erp is not None
    try:
        found = await erp.query(Entity.CURRENCY, eq("code", "EUR"))
        assert [record.get("code") for record in found.records] == ["EUR"]
    finally:
        await erp.aclose()
