"""The gateway keeps its subscriptions: renewed before they expire, made again when the system
dropped one (and the mapping's run brought forward), removed when notifications are switched
off, and failures (a handshake nobody answered) in the integration log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from gateway.notifications.store import NotificationStore
from gateway.notifications.subscriptions import maintain_subscriptions
from gateway.services import open_services
from tests.notifications.conftest import Notified
from tests.notifications.support import gateway
from tests.support_sandbox import BC_SCOPE


async def bc_subscriptions(notified: Notified) -> list[dict[str, object]]:
    """The subscriptions to Business Central's customers."""
    token = await notified.sandbox.token(BC_SCOPE)
    async with httpx.AsyncClient(
        base_url=notified.sandbox.bc_api, headers={"Authorization": f"Bearer {token}"}
    ) as client:
        listed = (await client.get("subscriptions")).json()["value"]
        return [s for s in listed if str(s["resource"]).endswith("/customers")]


async def drop(notified: Notified, subscription: dict[str, object]) -> None:
    """Business Central deletes a subscription (as after deliveries kept failing)."""
    token = await notified.sandbox.token(BC_SCOPE)
    async with httpx.AsyncClient(
        base_url=notified.sandbox.bc_api, headers={"Authorization": f"Bearer {token}"}
    ) as client:
        response = await client.delete(
            f"subscriptions('{subscription['subscriptionId']}')", headers={"If-Match": "*"}
        )
        assert response.status_code == 204


async def log_of(notified: Notified, operation: str) -> list[dict[str, object]]:
    cursor = notified.services.db["integration_log"].find(
        {"kind": "notification", "operation": operation}
    )
    return [doc async for doc in cursor]


async def test_renewed_before_expiry_and_made_again_when_dropped(notified: Notified) -> None:
    services = notified.services
    await notified.sandbox.set_notifications(delay_ms=300, subscription_lifetime_seconds=600)
    async with gateway(notified.settings, notified.port, services):
        [made] = await bc_subscriptions(notified)
        # Ten minutes left is within the renewal margin (a day): renewed, with a handshake.
        report = await maintain_subscriptions(services)
        assert "erp:customer" in report.renewed
        [renewed] = await bc_subscriptions(notified)
        assert renewed["subscriptionId"] == made["subscriptionId"]
        assert str(renewed["expirationDateTime"]) > str(made["expirationDateTime"])
        assert len(await log_of(notified, "renew")) == len(report.renewed)

        await notified.sandbox.set_notifications(delay_ms=300)
        await drop(notified, renewed)
        later = datetime.now(UTC) + timedelta(hours=1)
        await services.db["job_queue_entries"].update_many(
            {"mapping": "CUSTOMER"}, {"$set": {"next_run_at": later}}
        )
        report = await maintain_subscriptions(services)
        assert report.subscribed == ["erp:customer"]
        assert "CUSTOMER" in report.brought_forward  # what it missed, the next run reads
        [again] = await bc_subscriptions(notified)
        assert again["subscriptionId"] != made["subscriptionId"]
        stored = await NotificationStore(services.db).subscriptions("erp")
        customers = [s for s in stored if s.entity == "customer" and s.subscription]
        assert [s.subscription.remote["id"] for s in customers if s.subscription] == [
            again["subscriptionId"]
        ]


async def test_switched_off_unsubscribes_and_failed_handshakes_are_logged(
    notified: Notified,
) -> None:
    async with gateway(notified.settings, notified.port, notified.services):
        assert len(await bc_subscriptions(notified)) == 1
    # The API is down: nobody answers the handshake of a new subscription.
    [made] = await bc_subscriptions(notified)
    await drop(notified, made)
    report = await maintain_subscriptions(notified.services)
    assert report.failed == ["erp:customer"]
    [failure] = [e for e in await log_of(notified, "subscribe") if e["result"]["status"] == "error"]  # type: ignore[index]
    assert "could not be validated" in str(failure["result"]["message"])  # type: ignore[index]
    stored = {
        s.entity: s for s in await NotificationStore(notified.services.db).subscriptions("erp")
    }
    assert stored["customer"].active is False

    off = notified.settings.model_copy(update={"erp_notifications": False})
    async with open_services(off, wait_for_store=True) as services:
        report = await maintain_subscriptions(services)
    assert "erp:customer" in report.removed
    assert await NotificationStore(notified.services.db).subscriptions("erp") == []
    assert await NotificationStore(notified.services.db).subscriptions("crm") != []
    assert await bc_subscriptions(notified) == []
