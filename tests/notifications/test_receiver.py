"""The hooks as a caller that is not the system sees them: wrong credentials are refused with
401 and queue nothing, the handshake is echoed, and only the secret's holders get through."""

from __future__ import annotations

import httpx
import orjson
from redis.asyncio import Redis

from gateway.notifications.store import NotificationStore
from gateway.services import Services
from gateway.settings import Settings
from tests.notifications.support import serving
from tests.support_sandbox import SandboxHandle

COMPANY = "5d6a1f00-0000-4000-8000-0000000000c1"
CUSTOMER = "5d6a1f00-0000-4000-8000-00000000abcd"
ACCOUNT = "8a1b7c55-0c6e-4d8e-9d4f-2b5c3a1eabcd"


def bc_delivery(client_state: str) -> bytes:
    return orjson.dumps(
        {
            "value": [
                {
                    "subscriptionId": "0123456789abcdef0123456789abcdef",
                    "clientState": client_state,
                    "expirationDateTime": "2030-01-04T10:00:00Z",
                    "resource": f"api/v2.0/companies({COMPANY})/customers({CUSTOMER})",
                    "changeType": "updated",
                    "lastModifiedDateTime": "2030-01-01T10:00:00Z",
                }
            ]
        }
    )


def dataverse_delivery(user: str = "11111111-2222-3333-4444-555555555555") -> bytes:
    return orjson.dumps(
        {
            "MessageName": "Update",
            "PrimaryEntityName": "account",
            "PrimaryEntityId": ACCOUNT,
            "InitiatingUserId": user,
            "InputParameters": [],
        }
    )


async def queued(settings: Settings) -> list[bytes]:
    redis: Redis = Redis.from_url(str(settings.redis_url))
    try:
        return sorted(await redis.keys("notify:*") + await redis.keys("arq:job:notify:*"))
    finally:
        await redis.aclose()


async def received_count(client: httpx.AsyncClient) -> float:
    """`gateway_notifications_received_total` of the CRM, as /metrics shows it."""
    text = (await client.get("/metrics")).text
    prefix = 'gateway_notifications_received_total{system="dataverse"} '
    return sum(float(line[len(prefix) :]) for line in text.splitlines() if line.startswith(prefix))


async def log_of(services: Services) -> list[dict[str, object]]:
    cursor = services.db["integration_log"].find({"kind": "notification"})
    return [doc async for doc in cursor.sort("_id", 1)]


async def test_wrong_credentials_are_refused_and_queue_nothing(
    notified_settings: Settings, notified_services: Services, port: int, sandbox: SandboxHandle
) -> None:
    del sandbox
    async with serving(notified_settings, port) as client:
        forged = await client.post("/hooks/bc", content=bc_delivery("guessed"))
        assert forged.status_code == 401
        keyless = await client.post("/hooks/dataverse", content=dataverse_delivery())
        assert keyless.status_code == 401
        wrong_key = await client.post(
            "/hooks/dataverse", params={"code": "guessed"}, content=dataverse_delivery()
        )
        assert wrong_key.status_code == 401
        assert await queued(notified_settings) == []
        refusals = [e for e in await log_of(notified_services) if e["operation"] == "refused"]
        assert len(refusals) == 3
        assert all(e["result"]["codes"] == ["UNAUTHENTICATED"] for e in refusals)  # type: ignore[index]

        # The same deliveries with the secret are queued: one record, once however often.
        secret = (await NotificationStore(notified_services.db).listener("erp")).secret
        for _ in range(2):
            accepted = await client.post("/hooks/bc", content=bc_delivery(secret))
            assert accepted.status_code == 202, accepted.text
        keys = await queued(notified_settings)
        assert b"notify:CUSTOMER:erp" in keys
        redis: Redis = Redis.from_url(str(notified_settings.redis_url))
        try:
            assert await redis.zrange("notify:CUSTOMER:erp", 0, -1) == [CUSTOMER.encode()]
        finally:
            await redis.aclose()


async def test_handshake_is_echoed_and_other_requests_are_not_deliveries(
    notified_settings: Settings, notified_services: Services, port: int, sandbox: SandboxHandle
) -> None:
    del sandbox
    async with serving(notified_settings, port) as client:
        handshake = await client.post("/hooks/bc", params={"validationToken": "tok-123"})
        assert handshake.status_code == 200
        assert handshake.text == "tok-123"
        garbage = await client.post("/hooks/bc", content=b"<xml/>")
        assert garbage.status_code == 400
        assert "not JSON" in garbage.json()["error"]["message"]
        unknown = await client.post("/hooks/tryton", content=b"{}")
        assert unknown.status_code == 404
    operations = [e["operation"] for e in await log_of(notified_services)]
    assert operations == ["handshake", "refused"]


async def test_the_application_users_own_changes_are_left_out(
    notified_settings: Settings, notified_services: Services, port: int, sandbox: SandboxHandle
) -> None:
    del sandbox
    store = NotificationStore(notified_services.db)
    secret = (await store.listener("crm")).secret
    await store.set_own_user("crm", "11111111-2222-3333-4444-555555555555")
    async with serving(notified_settings, port) as client:
        own = await client.post(
            "/hooks/dataverse", params={"code": secret}, content=dataverse_delivery()
        )
        assert own.status_code == 202
        assert own.json() == {"queued": 0, "own": 1}
        assert await queued(notified_settings) == []
        received = await received_count(client)
        someone = await client.post(
            "/hooks/dataverse",
            params={"code": secret},
            content=dataverse_delivery("99999999-2222-3333-4444-555555555555"),
        )
        assert someone.json() == {"queued": 1, "own": 0}
        assert await received_count(client) == received + 1


async def test_hooks_need_no_api_key_but_graphql_still_does(
    notified_settings: Settings, port: int, sandbox: SandboxHandle
) -> None:
    del sandbox
    async with serving(notified_settings, port) as client:
        anonymous = httpx.AsyncClient(base_url=str(client.base_url))
        async with anonymous:
            assert (
                await anonymous.post("/graphql", json={"query": "{ __typename }"})
            ).status_code == 401
            assert (await anonymous.post("/hooks/bc", params={"validationToken": "t"})).text == "t"
