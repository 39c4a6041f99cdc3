"""Business Central webhooks in the sandbox: subscriptions with their handshake, batched
notifications after the delay, `collection`, retries and dropped subscriptions."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.sandbox.receiver import Receiver, serving_receiver
from tests.support import eventually
from tests.support_sandbox import BC_SCOPE, SandboxHandle


@pytest.fixture
async def api(sandbox: SandboxHandle) -> AsyncIterator[httpx.AsyncClient]:
    """A client of `…/api/v2.0/` (subscriptions live there, outside companies)."""
    token = await sandbox.token(BC_SCOPE)
    async with httpx.AsyncClient(
        base_url=sandbox.bc_api, headers={"Authorization": f"Bearer {token}"}, timeout=60
    ) as client:
        yield client


@pytest.fixture
async def receiver(sandbox: SandboxHandle) -> AsyncIterator[Receiver]:
    await sandbox.set_notifications(delay_ms=150, retry_base_ms=50, max_attempts=3)
    async with serving_receiver() as served:
        yield served


def customers_of(sandbox: SandboxHandle) -> str:
    return f"/api/v2.0/companies({sandbox.company_id})/customers"


async def subscribe(
    api: httpx.AsyncClient, receiver: Receiver, resource: str, state: str = "s3cret"
) -> dict[str, Any]:
    response = await api.post(
        "subscriptions",
        json={"notificationUrl": receiver.url, "resource": resource, "clientState": state},
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def new_customer(api: httpx.AsyncClient, sandbox: SandboxHandle, name: str) -> str:
    response = await api.post(
        f"companies({sandbox.company_id})/customers", json={"displayName": name}
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def rename(api: httpx.AsyncClient, sandbox: SandboxHandle, customer: str, name: str) -> None:
    path = f"companies({sandbox.company_id})/customers({customer})"
    response = await api.patch(path, json={"displayName": name}, headers={"If-Match": "*"})
    assert response.status_code == 200, response.text


async def test_subscribing_takes_the_handshake_and_lasts_three_days(
    api: httpx.AsyncClient, sandbox: SandboxHandle, receiver: Receiver
) -> None:
    created = await subscribe(api, receiver, customers_of(sandbox))
    assert len(receiver.handshakes) == 1
    expires = dt.datetime.fromisoformat(created["expirationDateTime"])
    left = expires - dt.datetime.now(dt.UTC)
    assert dt.timedelta(days=2, hours=23) < left <= dt.timedelta(days=3)
    assert created["clientState"] == "s3cret"
    listed = (await api.get("subscriptions")).json()["value"]
    assert [s["subscriptionId"] for s in listed] == [created["subscriptionId"]]

    receiver.echo = False  # a subscriber that does not echo the token gets no subscription
    refused = await api.post(
        "subscriptions",
        json={"notificationUrl": receiver.url, "resource": customers_of(sandbox)},
    )
    assert refused.status_code == 400
    assert "validat" in refused.json()["error"]["message"]
    assert len((await api.get("subscriptions")).json()["value"]) == 1


async def test_renewal_needs_if_match_and_a_handshake(
    api: httpx.AsyncClient, sandbox: SandboxHandle, receiver: Receiver
) -> None:
    await sandbox.set_notifications(subscription_lifetime_seconds=60)
    created = await subscribe(api, receiver, customers_of(sandbox))
    path = f"subscriptions('{created['subscriptionId']}')"
    assert (await api.patch(path, json={})).status_code == 400  # If-Match is required
    await sandbox.set_notifications(subscription_lifetime_seconds=3600)
    renewed = await api.patch(path, json={}, headers={"If-Match": created["@odata.etag"]})
    assert renewed.status_code == 200, renewed.text
    assert renewed.json()["expirationDateTime"] > created["expirationDateTime"]
    assert len(receiver.handshakes) == 2
    stale = await api.delete(path, headers={"If-Match": created["@odata.etag"]})
    assert stale.status_code == 412
    gone = await api.delete(path, headers={"If-Match": renewed.json()["@odata.etag"]})
    assert gone.status_code == 204
    assert (await api.get(path)).status_code == 404


async def test_changes_arrive_in_one_batch_one_entry_per_record(
    api: httpx.AsyncClient, sandbox: SandboxHandle, receiver: Receiver
) -> None:
    await sandbox.set_notifications(delay_ms=400)
    existing = await new_customer(api, sandbox, "Before")
    created = await subscribe(api, receiver, customers_of(sandbox))
    await rename(api, sandbox, existing, "Once")
    await rename(api, sandbox, existing, "Twice")
    fresh = await new_customer(api, sandbox, "Fresh")
    await rename(api, sandbox, fresh, "Fresh again")

    delivered = await eventually(lambda: _first(receiver), timeout=30, what="a notification")
    entries = delivered.json()["value"]
    by_record = {entry["resource"].rsplit("(", 1)[1].rstrip(")"): entry for entry in entries}
    assert set(by_record) == {existing, fresh}
    assert by_record[existing]["changeType"] == "updated"
    assert by_record[fresh]["changeType"] == "created"  # created, then changed: still created
    for entry in entries:
        assert entry["subscriptionId"] == created["subscriptionId"]
        assert entry["clientState"] == "s3cret"
        assert entry["resource"].startswith(f"api/v2.0/companies({sandbox.company_id})/customers(")


async def test_more_changes_than_the_threshold_become_one_collection(
    api: httpx.AsyncClient, sandbox: SandboxHandle, receiver: Receiver
) -> None:
    await subscribe(api, receiver, customers_of(sandbox))
    await sandbox.set_notifications(delay_ms=500, collection_threshold=2)
    before = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    made = [await new_customer(api, sandbox, f"Many {n}") for n in range(3)]

    delivered = await eventually(lambda: _first(receiver), timeout=30, what="a notification")
    [entry] = delivered.json()["value"]
    assert entry["changeType"] == "collection"
    path, _, query = entry["resource"].partition("?")
    assert path == f"api/v2.0/companies({sandbox.company_id})/customers"
    assert query.startswith("$filter=lastModifiedDateTime%20gt%20")
    # The filter, as the subscriber would send it, finds every record that changed.
    since = query.split("%20gt%20", 1)[1]
    assert dt.datetime.fromisoformat(since) >= before
    found = await api.get(
        f"companies({sandbox.company_id})/customers",
        params={"$filter": f"lastModifiedDateTime gt {since}"},
    )
    assert {row["id"] for row in found.json()["value"]} >= set(made)


async def test_failing_deliveries_are_retried_then_the_subscription_is_deleted(
    api: httpx.AsyncClient, sandbox: SandboxHandle, receiver: Receiver
) -> None:
    await subscribe(api, receiver, customers_of(sandbox))
    receiver.status = 503
    await new_customer(api, sandbox, "Unlucky")

    async def dropped() -> bool:
        return (await sandbox.notifications())["bc_subscriptions"] == 0

    await eventually(dropped, timeout=30, what="the subscription being dropped")
    assert len(receiver.deliveries) == 3  # max_attempts
    assert (await api.get("subscriptions")).json()["value"] == []
    stats = (await sandbox.notifications())["deliveries"]["bc"]
    assert stats["retried"] == 2
    assert stats["subscriptions_dropped"] == 1


async def test_a_refusal_is_not_retried_and_deletes_the_subscription(
    api: httpx.AsyncClient, sandbox: SandboxHandle, receiver: Receiver
) -> None:
    await subscribe(api, receiver, customers_of(sandbox))
    receiver.status = 401
    await new_customer(api, sandbox, "Refused")

    async def dropped() -> bool:
        return (await sandbox.notifications())["bc_subscriptions"] == 0

    await eventually(dropped, timeout=30, what="the subscription being dropped")
    assert len(receiver.deliveries) == 1


async def test_only_supported_resources_of_existing_companies(
    api: httpx.AsyncClient, sandbox: SandboxHandle, receiver: Receiver
) -> None:
    unsupported = await api.post(
        "subscriptions",
        json={
            "notificationUrl": receiver.url,
            "resource": f"/api/v2.0/companies({sandbox.company_id})/salespeople",
        },
    )
    assert unsupported.status_code == 400
    assert "salespeople" in unsupported.json()["error"]["message"]
    missing = await api.post("subscriptions", json={"resource": customers_of(sandbox)})
    assert missing.status_code == 400
    assert "notificationUrl" in missing.json()["error"]["message"]
    assert receiver.handshakes == []


async def _first(receiver: Receiver) -> Any:
    return receiver.deliveries[0] if receiver.deliveries else None
