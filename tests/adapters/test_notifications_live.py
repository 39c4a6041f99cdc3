"""Change notifications through the connectors, against the sandbox's webhooks: subscribing
(idempotently), renewing, removing, and reading what the sandbox really delivers."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import pytest

from adapters.notifications import ChangeNotifier, ChangeType, Inbound, NotificationError
from tests.adapters.live import business_central, dataverse
from tests.sandbox.receiver import Received, Receiver, serving_receiver
from tests.support import eventually
from tests.support_sandbox import SandboxHandle

SECRET = "a-shared-secret"


@pytest.fixture
async def receiver(sandbox: SandboxHandle) -> AsyncIterator[Receiver]:
    await sandbox.set_notifications(delay_ms=100)
    async with serving_receiver() as served:
        yield served


def inbound(received: Received) -> Inbound:
    return Inbound(received.query, received.headers, received.body)


async def test_business_central_subscriptions_and_deliveries(
    sandbox: SandboxHandle, receiver: Receiver
) -> None:
    async with business_central(sandbox) as erp:
        assert isinstance(erp, ChangeNotifier)
        assert "customer" in erp.notifications.entities
        assert "salesperson" not in erp.notifications.entities  # BC sends none for it
        made = await erp.subscribe("customer", url=receiver.url, secret=SECRET, fields=())
        assert made.expires_at is not None
        assert made.expires_at - dt.datetime.now(dt.UTC) > dt.timedelta(days=2)
        again = await erp.subscribe("customer", url=receiver.url, secret=SECRET, fields=())
        assert again.remote["id"] == made.remote["id"]  # taken over, not made twice
        assert len(receiver.handshakes) == 2  # creation, then the renewal of the same one
        handshake = erp.parse_delivery(inbound(receiver.handshakes[0]))
        assert handshake.handshake == receiver.handshakes[0].query["validationToken"]

        customer = await erp.create("customer", {"displayName": "Notified Ltd"})
        delivered = await eventually(lambda: _first(receiver), timeout=30, what="a delivery")
        delivery = erp.parse_delivery(inbound(delivered))
        assert delivery.credentials == (SECRET,)
        [notification] = delivery.notifications
        assert (notification.entity, notification.id) == ("customer", customer.id)
        assert notification.change is ChangeType.CREATED
        assert notification.initiating_user is None  # BC does not say who

        assert await erp.alive([again]) == {"customer"}
        await erp.unsubscribe(again)
        await erp.unsubscribe(again)  # gone already: not an error
        assert await erp.alive([again]) == set()
        assert (await sandbox.notifications())["bc_subscriptions"] == 0


async def test_dataverse_webhook_registration_and_deliveries(
    sandbox: SandboxHandle, receiver: Receiver
) -> None:
    async with dataverse(sandbox) as crm:
        assert isinstance(crm, ChangeNotifier)
        fields = ["name", "telephone1", "_ownerid_value"]
        made = await crm.subscribe("account", url=receiver.url, secret=SECRET, fields=fields)
        assert made.fields == ("name", "ownerid", "telephone1")
        again = await crm.subscribe("account", url=receiver.url, secret=SECRET, fields=fields)
        assert again.remote == made.remote  # the same endpoint and steps

        account = await crm.create("account", {"name": "Before"})
        await crm.update("account", account.id, {"name": "After"})
        await eventually(lambda: _nth(receiver, 2), timeout=30, what="two deliveries")
        notifications = [crm.parse_delivery(inbound(r)) for r in receiver.deliveries]
        assert {d.credentials for d in notifications} == {(SECRET,)}
        changes = sorted((n.change, n.id) for d in notifications for n in d.notifications)
        assert changes == [(ChangeType.CREATED, account.id), (ChangeType.UPDATED, account.id)]
        me = await crm.application_user()
        assert me is not None
        assert {n.initiating_user for d in notifications for n in d.notifications} == {me}

        assert await crm.alive([made]) == {"account"}
        await crm.unsubscribe(made)
        assert await crm.alive([made]) == set()
        steps = await crm.client.get_json("sdkmessageprocessingsteps", doing="list")
        endpoints = await crm.client.get_json("serviceendpoints", doing="list")
        assert steps["value"] == []
        assert endpoints["value"] == []


async def test_deliveries_that_are_not_notifications_are_refused(sandbox: SandboxHandle) -> None:
    async with business_central(sandbox) as erp, dataverse(sandbox) as crm:
        for connector in (erp, crm):
            with pytest.raises(NotificationError):
                connector.parse_delivery(Inbound({}, {}, b"not json"))
        with pytest.raises(NotificationError, match="changeType"):
            erp.parse_delivery(
                Inbound(
                    {},
                    {},
                    b'{"value": [{"clientState": "x", "changeType": "renamed", "resource": '
                    b'"api/v2.0/companies(5d6a1f00-0000-4000-8000-0000000000c1)/customers('
                    b'5d6a1f00-0000-4000-8000-0000000000c2)"}]}',
                )
            )
        missing_key = crm.parse_delivery(
            Inbound(
                {},
                {},
                b'{"MessageName": "Update", "PrimaryEntityName": "account", '
                b'"PrimaryEntityId": "5d6a1f00-0000-4000-8000-0000000000c2"}',
            )
        )
        assert missing_key.credentials == ("",)


async def test_a_collection_notification_says_since_when(sandbox: SandboxHandle) -> None:
    """The shape Business Central documents for `collection`, URL-encoded filter included."""
    body = (
        b'{"value": [{"subscriptionId": "s", "clientState": "x", "changeType": "collection", '
        b'"expirationDateTime": "2026-01-04T10:00:00Z", "lastModifiedDateTime": '
        b'"2026-01-01T10:00:05Z", "resource": "api/v2.0/companies('
        b"5d6a1f00-0000-4000-8000-0000000000c1)/customers?$filter=lastModifiedDateTime%20gt%20"
        b'2026-01-01T10:00:00.000Z"}]}'
    )
    async with business_central(sandbox) as erp:
        [notification] = erp.parse_delivery(Inbound({}, {}, body)).notifications
    assert notification.change is ChangeType.COLLECTION
    assert notification.entity == "customer"
    assert notification.id is None
    assert notification.since == dt.datetime(2026, 1, 1, 10, 0, tzinfo=dt.UTC)


async def _first(receiver: Receiver) -> Received | None:
    return receiver.deliveries[0] if receiver.deliveries else None


async def _nth(receiver: Receiver, count: int) -> Received | None:
    return receiver.deliveries[count - 1] if len(receiver.deliveries) >= count else None
