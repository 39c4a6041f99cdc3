"""Dataverse webhooks, registered through the Web API as the Plug-in Registration tool does.

- One `serviceendpoint` per receiving URL: contract 8 (Webhook), `authtype` 4 (WebhookKey: the
  secret arrives as `?code=`), `messageformat` 2 (JSON). Its key cannot be read back, so it is
  written again whenever the subscription is brought up to date.
- Per table, three `sdkmessageprocessingsteps` on that endpoint: Create, Update and Delete,
  asynchronous (`mode` 1), post-operation (`stage` 40), each naming its `sdkmessage` and the
  table's `sdkmessagefilter`; the Update step's `filteringattributes` are the columns the
  mappings read, so that changes nobody synchronizes are not sent. Steps are found again by
  name, so subscribing twice changes nothing twice. Registrations do not expire.
- A delivery is one `RemoteExecutionContext`: the message, the table's logical name, the
  record's id and `InitiatingUserId`, compared with the application user (`WhoAmI`) to tell
  the gateway's own writes from everyone else's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson

from adapters.base import EntitySpec
from adapters.errors import NotFoundError
from adapters.notifications import (
    ChangeType,
    Delivery,
    Inbound,
    Notification,
    NotificationAuth,
    NotificationError,
    NotificationSupport,
    Subscription,
)
from adapters.odata.client import ODataClient
from adapters.odata.connector import entity_id
from adapters.odata.query import with_query

HOOK = "dataverse"
ENDPOINT_NAME = "erp-crm-gateway"
STEP_PREFIX = "erp-crm-gateway: "
WEBHOOK, WEBHOOK_KEY, JSON = 8, 4, 2
ASYNCHRONOUS, POST_OPERATION = 1, 40
MESSAGES = {
    "Create": ChangeType.CREATED,
    "Update": ChangeType.UPDATED,
    "Delete": ChangeType.DELETED,
}


def logical_name(spec: EntitySpec) -> str:
    """A table's logical name: its key without `id` (`accountid` → `account`)."""
    return spec.key_field.removesuffix("id")


def attribute(field: str) -> str:
    """A column as an attribute name: lookups are read as `_x_value` and named `x`."""
    if field.startswith("_") and field.endswith("_value"):
        return field[1 : -len("_value")]
    return field


class DataverseWebhooks:
    """Mixed into the Dataverse connector."""

    client: ODataClient
    notifications: NotificationSupport
    _specs: dict[str, EntitySpec]
    _message_ids: dict[str, str] | None = None

    def logical_names(self) -> dict[str, str]:
        """Logical name -> canonical entity."""
        return {logical_name(spec): name for name, spec in self._specs.items()}

    # ---- registration ------------------------------------------------------------------------

    async def subscribe(
        self, entity: str, *, url: str, secret: str, fields: Sequence[str]
    ) -> Subscription:
        logical = logical_name(self._specs[entity])
        endpoint = await self._endpoint(url, secret)
        filters = await self._filters(logical)
        existing = await self._steps_of(endpoint)
        attributes = sorted({attribute(f) for f in fields} - {"modifiedon"})
        steps: dict[str, str] = {}
        for message in MESSAGES:
            name = f"{STEP_PREFIX}{message} of {logical}"
            body: dict[str, Any] = {"name": name, "mode": ASYNCHRONOUS, "stage": POST_OPERATION}
            if message == "Update":
                body["filteringattributes"] = ",".join(attributes) or None
            if name in existing:
                await self.client.send(
                    "PATCH",
                    f"sdkmessageprocessingsteps({existing[name]})",
                    doing=f"update the {message} step of {logical}",
                    json=body,
                    headers={"If-Match": "*"},
                )
                steps[message] = existing[name]
                continue
            message_id = (await self._messages())[message]
            body.update(
                {
                    "rank": 1,
                    "asyncautodelete": True,
                    "supporteddeployment": 0,
                    "sdkmessageid@odata.bind": f"/sdkmessages({message_id})",
                    "sdkmessagefilterid@odata.bind": f"/sdkmessagefilters({filters[message_id]})",
                    "eventhandler_serviceendpoint@odata.bind": f"/serviceendpoints({endpoint})",
                }
            )
            steps[message] = await self._create("sdkmessageprocessingsteps", body)
        return Subscription(
            entity=entity,
            remote={"endpoint": endpoint, "steps": steps},
            fields=tuple(attributes),
        )

    async def renew(
        self, subscription: Subscription, *, url: str, secret: str, fields: Sequence[str]
    ) -> Subscription:
        return await self.subscribe(subscription.entity, url=url, secret=secret, fields=fields)

    async def unsubscribe(self, subscription: Subscription) -> None:
        steps = subscription.remote.get("steps") or {}
        for step in steps.values():
            try:
                await self.client.send(
                    "DELETE",
                    f"sdkmessageprocessingsteps({step})",
                    doing=f"remove a step of {subscription.entity}",
                    headers={"If-Match": "*"},
                )
            except NotFoundError:
                continue
        endpoint = subscription.remote.get("endpoint")
        if endpoint and not await self._steps_of(str(endpoint)):
            try:
                await self.client.send(
                    "DELETE", f"serviceendpoints({endpoint})", doing="remove the webhook"
                )
            except NotFoundError:
                return

    async def alive(self, subscriptions: Sequence[Subscription]) -> set[str]:
        endpoints = {str(s.remote.get("endpoint") or "") for s in subscriptions} - {""}
        present: set[str] = set()
        for endpoint in endpoints:  # one: every subscription of a URL shares its endpoint
            present.update((await self._steps_of(endpoint)).values())
        alive = set()
        for subscription in subscriptions:
            steps = set(dict(subscription.remote.get("steps") or {}).values())
            if steps and steps <= present:
                alive.add(subscription.entity)
        return alive

    async def _endpoint(self, url: str, secret: str) -> str:
        """The webhook of `url`, made if missing, with `secret` as its key."""
        quoted = url.replace("'", "''")
        found = await self.client.get_json(
            with_query(
                "serviceendpoints",
                [
                    ("$select", "serviceendpointid"),
                    ("$filter", f"contract eq {WEBHOOK} and url eq '{quoted}'"),
                ],
            ),
            doing="find the webhook",
        )
        body = {"authtype": WEBHOOK_KEY, "authvalue": secret, "messageformat": JSON}
        rows = found.get("value") or []
        if rows:
            endpoint = str(rows[0]["serviceendpointid"])
            await self.client.send(
                "PATCH",
                f"serviceendpoints({endpoint})",
                doing="update the webhook's key",
                json=body,
                headers={"If-Match": "*"},
            )
            return endpoint
        return await self._create(
            "serviceendpoints", {"name": ENDPOINT_NAME, "url": url, "contract": WEBHOOK, **body}
        )

    async def _create(self, entity_set: str, body: dict[str, Any]) -> str:
        response = await self.client.send(
            "POST", entity_set, doing=f"register {entity_set}", json=body, replay_safe=False
        )
        created = entity_id(response.headers.get("OData-EntityId"))
        if created is None:
            raise NotificationError(f"registering {entity_set}: the answer names no record")
        return created

    async def _messages(self) -> dict[str, str]:
        if self._message_ids is None:
            names = " or ".join(f"name eq '{name}'" for name in MESSAGES)
            found = await self.client.get_json(
                with_query("sdkmessages", [("$select", "sdkmessageid,name"), ("$filter", names)]),
                doing="read the messages",
            )
            self._message_ids = {row["name"]: row["sdkmessageid"] for row in found["value"]}
        return self._message_ids

    async def _filters(self, logical: str) -> dict[str, str]:
        """The table's message filters, by message id."""
        found = await self.client.get_json(
            with_query(
                "sdkmessagefilters",
                [
                    ("$select", "sdkmessagefilterid,_sdkmessageid_value"),
                    ("$filter", f"primaryobjecttypecode eq '{logical}'"),
                ],
            ),
            doing=f"read the message filters of {logical}",
        )
        return {row["_sdkmessageid_value"]: row["sdkmessagefilterid"] for row in found["value"]}

    async def _steps_of(self, endpoint: str) -> dict[str, str]:
        found = await self.client.get_json(
            with_query(
                "sdkmessageprocessingsteps",
                [
                    ("$select", "sdkmessageprocessingstepid,name"),
                    ("$filter", f"_eventhandler_value eq {endpoint}"),
                ],
            ),
            doing="read the webhook's steps",
        )
        return {row["name"]: row["sdkmessageprocessingstepid"] for row in found["value"]}

    # ---- deliveries ----------------------------------------------------------------------------

    def parse_delivery(self, request: Inbound) -> Delivery:
        credentials = (request.query.get("code", ""),)
        try:
            context = orjson.loads(request.body)
        except orjson.JSONDecodeError:
            raise NotificationError("the body is not JSON") from None
        if not isinstance(context, dict):
            raise NotificationError("the body is not a remote execution context")
        change = MESSAGES.get(str(context.get("MessageName")))
        record = context.get("PrimaryEntityId")
        if change is None or not isinstance(record, str) or not record:
            raise NotificationError(
                f"not a Create, Update or Delete of a record ({context.get('MessageName')!r})"
            )
        entity = self.logical_names().get(str(context.get("PrimaryEntityName")))
        if entity is None:
            return Delivery([], credentials)  # a table the connector does not serve
        user = context.get("InitiatingUserId")
        notification = Notification(
            entity, record.lower(), change, initiating_user=str(user).lower() if user else None
        )
        return Delivery([notification], credentials)

    async def application_user(self) -> str | None:
        answer = await self.client.get_json("WhoAmI", doing="ask who the application user is")
        user = answer.get("UserId")
        return str(user).lower() if user else None


def support(entities: dict[str, EntitySpec]) -> NotificationSupport:
    return NotificationSupport(
        hook=HOOK,
        auth=NotificationAuth.WEBHOOK_KEY,
        entities=frozenset(name for name, spec in entities.items() if not spec.read_only),
        expires=False,
        reports_initiator=True,
    )
