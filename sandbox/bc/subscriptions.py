"""`/api/v2.0/subscriptions`: Business Central's webhook subscriptions resource.

POST creates one (`notificationUrl`, `resource`, optional `clientState` of up to 2,048
characters) only after the validation handshake succeeded, answering 201 with the
subscription; it expires after the configured lifetime (three days). PATCH (with `If-Match`)
renews it, again through the handshake, and may change the URL or the client state. DELETE
(with `If-Match`) removes it; GET lists the live ones or reads one. The key is a 32-digit
hexadecimal string: `subscriptions('<id>')`.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any
from urllib.parse import urlsplit

from sandbox.bc import errors
from sandbox.bc.webhooks import SUPPORTED, BcWebhooks, iso, parse_resource
from sandbox.errors import ErrorKind, SandboxError
from sandbox.http import ApiRequest, ApiResponse, json_response
from sandbox.odata.paths import Segment
from sandbox.odata.values import now
from sandbox.store.database import Doc

_WRITABLE = frozenset({"notificationUrl", "resource", "clientState"})
_MAX_CLIENT_STATE = 2048
_USER = "00000000-0000-0000-0000-000000000001"


def _etag(doc: Doc) -> str:
    return f'W/"{doc["timestamp"]}"'


def render(request: ApiRequest, doc: Doc, *, entity: bool) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if entity:
        body["@odata.context"] = f"{request.root}$metadata#subscriptions/$entity"
    body.update(
        {
            "@odata.etag": _etag(doc),
            "subscriptionId": doc["_id"],
            "notificationUrl": doc["notificationUrl"],
            "resource": doc["resource"],
            "timestamp": doc["timestamp"],
            "userId": doc["userId"],
            "lastModifiedDateTime": iso(doc["lastModifiedDateTime"]),
            "clientState": doc.get("clientState") or "",
            "expirationDateTime": iso(doc["_expires"]),
            "systemCreatedAt": iso(doc["systemCreatedAt"]),
            "systemModifiedAt": iso(doc["lastModifiedDateTime"]),
        }
    )
    return body


async def handle(webhooks: BcWebhooks, request: ApiRequest, segment: Segment) -> ApiResponse:
    if segment.key is None:
        if request.method == "GET":
            return await _list(webhooks, request)
        if request.method == "POST":
            return await _create(webhooks, request)
        raise _not_allowed(request)
    key = segment.key.strip().strip("'")
    doc = webhooks.subscriptions.get(key)
    if doc is None or doc["_expires"] <= now():
        raise SandboxError(
            ErrorKind.NOT_FOUND,
            f"The subscription does not exist. Identification fields and values: "
            f"Subscription Id='{key}'",
        )
    if request.method == "GET":
        return json_response(200, render(request, doc, entity=True), {"ETag": _etag(doc)})
    if request.method not in ("PATCH", "DELETE"):
        raise _not_allowed(request)
    _check_if_match(request, doc)
    if request.method == "DELETE":
        webhooks.forget(key)
        await webhooks.collection.delete_one({"_id": key})
        return ApiResponse(204, None, {"OData-Version": "4.0"})
    return await _renew(webhooks, request, doc)


async def _list(webhooks: BcWebhooks, request: ApiRequest) -> ApiResponse:
    moment = now()
    live = sorted(
        (doc for doc in webhooks.subscriptions.values() if doc["_expires"] > moment),
        key=lambda doc: doc["systemCreatedAt"],
    )
    body = {
        "@odata.context": f"{request.root}$metadata#subscriptions",
        "value": [render(request, doc, entity=False) for doc in live],
    }
    return json_response(200, body)


def _values(body: dict[str, Any], *, creating: bool) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, value in body.items():
        if "@" in name:
            continue
        if name not in _WRITABLE:
            if name in ("subscriptionId", "expirationDateTime", "userId", "timestamp"):
                continue  # read-only properties echoed back by clients are ignored
            raise SandboxError(
                ErrorKind.BAD_PAYLOAD,
                f"The property '{name}' does not exist on type 'Microsoft.NAV.subscriptions'. "
                "Make sure to only use property names that are defined by the type.",
            )
        if value is not None and not isinstance(value, str):
            raise SandboxError(ErrorKind.BAD_PAYLOAD, f"The property '{name}' must be a string.")
        values[name] = value
    if creating:
        for name in ("notificationUrl", "resource"):
            if not values.get(name):
                raise SandboxError(
                    ErrorKind.BAD_PAYLOAD,
                    f"Field '{name}' must not be blank or empty.",
                    code="BadRequest_RequiredParamNotProvided",
                )
    url = values.get("notificationUrl")
    if url is not None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise SandboxError(
                ErrorKind.BAD_PAYLOAD, f"The notificationUrl '{url}' is not an absolute URL."
            )
    client_state = values.get("clientState")
    if client_state is not None and len(client_state) > _MAX_CLIENT_STATE:
        raise SandboxError(
            ErrorKind.BAD_PAYLOAD,
            f"The clientState must not be longer than {_MAX_CLIENT_STATE} characters.",
        )
    return values


async def _target(webhooks: BcWebhooks, resource: str) -> tuple[str, str, str]:
    """(company, stored entity set, entity set as named) of a subscribable resource."""
    parsed = parse_resource(resource)
    if parsed is None:
        raise SandboxError(
            ErrorKind.BAD_PAYLOAD,
            f"The resource '{resource}' is not a collection of this API: use "
            "/api/v2.0/companies(<company id>)/<entity set>.",
        )
    company, entity_set = parsed
    if entity_set not in SUPPORTED:
        raise SandboxError(
            ErrorKind.BAD_PAYLOAD,
            f"Webhooks are not supported for the resource '{entity_set}'. Supported: "
            f"{', '.join(sorted(SUPPORTED))}.",
        )
    companies = webhooks.db.database["companies"]
    if await companies.find_one({"_id": company}, {"_id": 1}) is None:
        raise SandboxError(
            ErrorKind.NOT_FOUND, f"The company with the id '{company}' does not exist."
        )
    named = resource.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    return company, entity_set, named


async def _create(webhooks: BcWebhooks, request: ApiRequest) -> ApiResponse:
    values = _values(request.json(), creating=True)
    company, entity_set, named = await _target(webhooks, values["resource"])
    await _handshake(webhooks, values["notificationUrl"])
    moment = now()
    doc: Doc = {
        "_id": uuid.uuid4().hex,
        "notificationUrl": values["notificationUrl"],
        "resource": f"/api/v2.0/companies({company})/{named}",
        "clientState": values.get("clientState") or "",
        "userId": _USER,
        "timestamp": 1,
        "systemCreatedAt": moment,
        "lastModifiedDateTime": moment,
        "_expires": _expiry(webhooks, moment),
        "_company": company,
        "_entity_set": entity_set,
        "_entity_set_name": named,
    }
    await webhooks.collection.insert_one(doc)
    webhooks.remember(doc)
    return json_response(201, render(request, doc, entity=True), {"ETag": _etag(doc)})


async def _renew(webhooks: BcWebhooks, request: ApiRequest, doc: Doc) -> ApiResponse:
    values = _values(request.json(), creating=False)
    changes: Doc = {}
    if values.get("resource"):
        company, entity_set, named = await _target(webhooks, values["resource"])
        changes.update(
            resource=f"/api/v2.0/companies({company})/{named}",
            _company=company,
            _entity_set=entity_set,
            _entity_set_name=named,
        )
    if values.get("notificationUrl"):
        changes["notificationUrl"] = values["notificationUrl"]
    if "clientState" in values:
        changes["clientState"] = values["clientState"] or ""
    await _handshake(webhooks, changes.get("notificationUrl") or doc["notificationUrl"])
    moment = now()
    changes.update(
        lastModifiedDateTime=moment,
        _expires=_expiry(webhooks, moment),
        timestamp=doc["timestamp"] + 1,
    )
    await webhooks.collection.update_one({"_id": doc["_id"]}, {"$set": changes})
    updated = {**doc, **changes}
    webhooks.remember(updated)
    return json_response(200, render(request, updated, entity=True), {"ETag": _etag(updated)})


def _expiry(webhooks: BcWebhooks, moment: dt.datetime) -> dt.datetime:
    return moment + dt.timedelta(seconds=webhooks.settings.subscription_lifetime_seconds)


async def _handshake(webhooks: BcWebhooks, url: str) -> None:
    failure = await webhooks.handshake(url)
    if failure is not None:
        raise SandboxError(
            ErrorKind.BUSINESS_RULE,
            f"The subscription could not be validated: {failure}.",
            code="BadRequest",
        )


def _check_if_match(request: ApiRequest, doc: Doc) -> None:
    value = (request.headers.get("if-match") or "").strip()
    if not value:
        raise SandboxError(
            ErrorKind.PRECONDITION_REQUIRED, errors.MISSING_ETAG_MESSAGE, code=errors.MISSING_ETAG
        )
    if value not in ("*", _etag(doc)):
        raise SandboxError(
            ErrorKind.PRECONDITION_FAILED, "Another user has already changed the record."
        )


def _not_allowed(request: ApiRequest) -> SandboxError:
    return SandboxError(
        ErrorKind.METHOD_NOT_ALLOWED,
        f"'{request.method}' requests for 'subscriptions' are not allowed within Dynamics 365 "
        "Business Central OData web services.",
    )
