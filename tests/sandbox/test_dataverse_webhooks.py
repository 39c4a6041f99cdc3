"""Dataverse webhooks in the sandbox: a service endpoint and steps registered through the Web
API, the remote execution context they deliver, and the delivery switches (lost, duplicated,
reordered)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.sandbox.receiver import Receiver, serving_receiver
from tests.support import eventually
from tests.support_sandbox import SandboxHandle


@pytest.fixture
async def receiver(sandbox: SandboxHandle) -> AsyncIterator[Receiver]:
    await sandbox.set_notifications(delay_ms=100, retry_base_ms=50, max_attempts=3)
    async with serving_receiver() as served:
        yield served


@pytest.fixture
async def person(dataverse: httpx.AsyncClient) -> str:
    response = await dataverse.post(
        "systemusers",
        json={"firstname": "Pat", "lastname": "Seller", "domainname": "pat@sandbox.local"},
    )
    assert response.status_code == 204, response.text
    return response.headers["OData-EntityId"].rsplit("(", 1)[1].rstrip(")")


async def one(dataverse: httpx.AsyncClient, path: str, params: dict[str, str]) -> dict[str, Any]:
    response = await dataverse.get(path, params=params)
    assert response.status_code == 200, response.text
    [row] = response.json()["value"]
    return dict(row)


async def register(
    dataverse: httpx.AsyncClient,
    url: str,
    messages: dict[str, str],
    *,
    entity: str = "account",
    authtype: int = 4,
    authvalue: str = "the-key",
) -> str:
    """A webhook endpoint and one step per message (Update: its filtering attributes)."""
    response = await dataverse.post(
        "serviceendpoints",
        json={
            "name": "gateway",
            "url": url,
            "contract": 8,
            "authtype": authtype,
            "authvalue": authvalue,
            "messageformat": 2,
        },
    )
    assert response.status_code == 204, response.text
    endpoint = response.headers["OData-EntityId"].rsplit("(", 1)[1].rstrip(")")
    for message, attributes in messages.items():
        sdk = await one(dataverse, "sdkmessages", {"$filter": f"name eq '{message}'"})
        found = await one(
            dataverse,
            "sdkmessagefilters",
            {
                "$filter": f"primaryobjecttypecode eq '{entity}' and "
                f"_sdkmessageid_value eq {sdk['sdkmessageid']}"
            },
        )
        step: dict[str, Any] = {
            "name": f"gateway: {message} of {entity}",
            "mode": 1,
            "stage": 40,
            "rank": 1,
            "asyncautodelete": True,
            "sdkmessageid@odata.bind": f"/sdkmessages({sdk['sdkmessageid']})",
            "sdkmessagefilterid@odata.bind": f"/sdkmessagefilters({found['sdkmessagefilterid']})",
            "eventhandler_serviceendpoint@odata.bind": f"/serviceendpoints({endpoint})",
        }
        if attributes:
            step["filteringattributes"] = attributes
        created = await dataverse.post("sdkmessageprocessingsteps", json=step)
        assert created.status_code == 204, created.text
    return endpoint


async def new_account(dataverse: httpx.AsyncClient, name: str, user: str | None = None) -> str:
    headers = {"MSCRMCallerID": user} if user else {}
    response = await dataverse.post("accounts", json={"name": name}, headers=headers)
    assert response.status_code == 204, response.text
    return response.headers["OData-EntityId"].rsplit("(", 1)[1].rstrip(")")


async def change(
    dataverse: httpx.AsyncClient, account: str, values: dict[str, Any], user: str | None = None
) -> None:
    headers = {"If-Match": "*", **({"MSCRMCallerID": user} if user else {})}
    response = await dataverse.patch(f"accounts({account})", json=values, headers=headers)
    assert response.status_code == 204, response.text


def attributes(context: dict[str, Any]) -> dict[str, Any]:
    target = context["InputParameters"][0]["value"]
    return {pair["key"]: pair["value"] for pair in target["Attributes"]}


async def test_an_update_delivers_the_remote_execution_context(
    dataverse: httpx.AsyncClient, receiver: Receiver, person: str
) -> None:
    account = await new_account(dataverse, "Before")
    step_endpoint = await register(dataverse, receiver.url, {"Update": "name,telephone1"})
    await change(dataverse, account, {"name": "After"}, person)

    delivered = await eventually(lambda: _nth(receiver, 1), timeout=30, what="a delivery")
    assert delivered.query == {"code": "the-key"}
    assert delivered.headers["x-ms-dynamics-entity-name"] == "account"
    assert delivered.headers["x-ms-dynamics-request-name"] == "Update"
    context = delivered.json()
    assert context["MessageName"] == "Update"
    assert context["PrimaryEntityName"] == "account"
    assert context["PrimaryEntityId"] == account
    assert context["InitiatingUserId"] == person
    assert context["Stage"] == 40
    assert context["Mode"] == 1
    assert attributes(context)["name"] == "After"
    assert attributes(context)["accountid"] == account
    assert context["OwningExtension"]["LogicalName"] == "sdkmessageprocessingstep"
    # The key is never read back.
    endpoint = await dataverse.get(f"serviceendpoints({step_endpoint})")
    assert endpoint.json()["authvalue"] is None


async def test_filtering_attributes_and_messages_decide_what_is_sent(
    dataverse: httpx.AsyncClient, receiver: Receiver
) -> None:
    account = await new_account(dataverse, "Quiet")
    await register(dataverse, receiver.url, {"Update": "telephone1", "Delete": ""})
    await change(dataverse, account, {"name": "Not watched"})  # not a filtering attribute
    await new_account(dataverse, "No create step")
    await change(dataverse, account, {"telephone1": "+1 555 0100"})
    assert (await dataverse.delete(f"accounts({account})")).status_code == 204

    await eventually(lambda: _nth(receiver, 2), timeout=30, what="two deliveries")
    messages = sorted(r.json()["MessageName"] for r in receiver.deliveries)
    assert messages == ["Delete", "Update"]
    delete = next(r.json() for r in receiver.deliveries if r.json()["MessageName"] == "Delete")
    assert delete["InputParameters"][0]["value"]["Id"] == account
    # The application user's own writes say so.
    assert delete["InitiatingUserId"] == (await dataverse.get("WhoAmI")).json()["UserId"]


async def test_http_header_authentication(dataverse: httpx.AsyncClient, receiver: Receiver) -> None:
    await register(
        dataverse,
        receiver.url,
        {"Create": ""},
        authtype=5,
        authvalue='<settings><setting name="x-gateway-key" value="k3y" /></settings>',
    )
    await new_account(dataverse, "Headed")
    delivered = await eventually(lambda: _nth(receiver, 1), timeout=30, what="a delivery")
    assert delivered.headers["x-gateway-key"] == "k3y"
    assert delivered.query == {}


async def test_only_webhook_registrations_that_keep_the_rules(
    dataverse: httpx.AsyncClient, receiver: Receiver
) -> None:
    service_bus = await dataverse.post(
        "serviceendpoints",
        json={"name": "queue", "url": receiver.url, "contract": 1, "authtype": 2},
    )
    assert service_bus.status_code == 400
    assert "contract" in service_bus.json()["error"]["message"]
    keyless = await dataverse.post(
        "serviceendpoints",
        json={"name": "open", "url": receiver.url, "contract": 8, "authtype": 4},
    )
    assert keyless.status_code == 400
    assert "authvalue" in keyless.json()["error"]["message"]
    create = await one(dataverse, "sdkmessages", {"$filter": "name eq 'Create'"})
    renamed = await dataverse.patch(
        f"sdkmessages({create['sdkmessageid']})",
        json={"name": "Other"},
        headers={"If-Match": "*"},
    )
    assert renamed.status_code == 400


async def test_lost_duplicated_and_reordered_deliveries(
    dataverse: httpx.AsyncClient, sandbox: SandboxHandle, receiver: Receiver
) -> None:
    account = await new_account(dataverse, "Switches")
    await register(dataverse, receiver.url, {"Update": "telephone1"})

    await sandbox.set_notifications(delay_ms=100, lose_next=1)
    await change(dataverse, account, {"telephone1": "lost"})
    await eventually(_lost(sandbox), timeout=30, what="a lost delivery")
    assert receiver.deliveries == []

    await sandbox.set_notifications(delay_ms=100, duplicate_next=1)
    await change(dataverse, account, {"telephone1": "twice"})
    await eventually(lambda: _nth(receiver, 2), timeout=30, what="a duplicated delivery")
    first, second = (r.json() for r in receiver.deliveries)
    assert first["OperationId"] == second["OperationId"]
    assert attributes(first)["telephone1"] == "twice"

    receiver.requests.clear()
    await sandbox.set_notifications(delay_ms=300, reorder=True)
    for phone in ("one", "two", "three"):
        await change(dataverse, account, {"telephone1": phone})
    await eventually(lambda: _nth(receiver, 3), timeout=30, what="three deliveries")
    phones = [attributes(r.json())["telephone1"] for r in receiver.deliveries]
    assert phones == ["three", "two", "one"]


def _lost(sandbox: SandboxHandle) -> Any:
    async def check() -> bool:
        deliveries = (await sandbox.notifications())["deliveries"]
        return deliveries.get("dataverse", {}).get("lost", 0) == 1

    return check


async def _nth(receiver: Receiver, count: int) -> Any:
    return receiver.deliveries[count - 1] if len(receiver.deliveries) >= count else None
