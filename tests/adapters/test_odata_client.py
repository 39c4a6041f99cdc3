"""The OData client core against recorded answers: tokens, retries, throttling, error mapping."""

from __future__ import annotations

import logging

import httpx
import pytest

from adapters.errors import (
    AuthenticationError,
    ConflictError,
    NotFoundError,
    RetriableError,
    ValidationError,
)
from adapters.retry import RetryPolicy, parse_retry_after
from tests.adapters.recorded import (
    CLIENT_ID,
    SECRET,
    dataverse,
    guid,
    json_response,
    odata_error,
)

ACCOUNT = {
    "@odata.etag": 'W/"915244"',
    "name": "Monte Orton",
    "accountid": "60c4e274-0d87-e711-80e5-00155db19e6d",
    "modifiedon": "2017-08-22T08:10:44Z",
}


async def test_token_is_fetched_once_and_reused_with_client_credentials() -> None:
    connector, service = dataverse(lambda request: json_response(200, ACCOUNT))
    for _ in range(3):
        await connector.get("account", ACCOUNT["accountid"])
    assert service.tokens_issued == 1
    assert all(r.headers["Authorization"] == "Bearer eyJ0eXAi.token-1" for r in service.requests)
    form = service.token_bodies[0]
    assert form["grant_type"] == ["client_credentials"]
    assert form["client_id"] == [CLIENT_ID]
    assert form["scope"] == ["https://contoso.crm.dynamics.com/.default"]


async def test_expired_token_is_refreshed_once_and_the_request_replayed() -> None:
    seen: list[str] = []

    def api(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["Authorization"])
        if request.headers["Authorization"].endswith("token-1"):
            return odata_error(401, "0x80040220", "ExpiredAuthTicket")
        return json_response(200, ACCOUNT)

    connector, service = dataverse(api)
    record = await connector.get("account", ACCOUNT["accountid"])
    assert record.get("name") == "Monte Orton"
    assert seen == ["Bearer eyJ0eXAi.token-1", "Bearer eyJ0eXAi.token-2"]
    assert service.sleeps == []  # a replay with a fresh token is not a retry


async def test_a_second_401_is_an_authentication_error() -> None:
    connector, service = dataverse(
        lambda request: odata_error(401, "0x80040220", "UnauthorizedAccess")
    )
    with pytest.raises(AuthenticationError) as caught:
        await connector.get("account", ACCOUNT["accountid"])
    assert service.tokens_issued == 2
    assert len(service.requests) == 2
    assert "dataverse" in str(caught.value)
    assert "401" in str(caught.value)


async def test_rejected_credentials_name_the_reason_but_never_the_secret(
    caplog: pytest.LogCaptureFixture,
) -> None:
    connector, service = dataverse(lambda request: json_response(200, ACCOUNT))
    service.token_refusal = json_response(
        401,
        {
            "error": "invalid_client",
            "error_description": f"AADSTS7000215: Invalid client secret provided: {SECRET}",
        },
    )
    caplog.set_level(logging.DEBUG)
    with pytest.raises(AuthenticationError) as caught:
        await connector.get("account", ACCOUNT["accountid"])
    message = str(caught.value)
    assert "invalid_client" in message
    assert "access token" in message
    assert SECRET not in message
    assert SECRET not in caplog.text
    assert service.requests == []  # nothing is sent to the API without a token


async def test_throttling_honours_retry_after_then_succeeds(
    caplog: pytest.LogCaptureFixture,
) -> None:
    answers = [
        odata_error(
            429,
            "0x80072322",
            "Number of requests exceeded the limit of 6000 over time window of 300 seconds.",
            {"Retry-After": "7"},
        ),
        json_response(200, ACCOUNT),
    ]
    connector, service = dataverse(lambda request: answers.pop(0))
    caplog.set_level(logging.DEBUG)
    record = await connector.get("account", ACCOUNT["accountid"])
    assert record.etag == 'W/"915244"'
    assert len(service.sleeps) == 1
    assert 7 <= service.sleeps[0] <= 8  # Retry-After, plus at most 10% jitter
    token = service.current_token
    assert token not in caplog.text
    assert SECRET not in caplog.text


async def test_server_errors_are_retried_up_to_the_bound_then_retriable() -> None:
    connector, service = dataverse(
        lambda request: odata_error(503, "0x80040216", "Service Unavailable"), max_attempts=4
    )
    with pytest.raises(RetriableError) as caught:
        await connector.get("account", ACCOUNT["accountid"])
    assert len(service.requests) == 4
    assert len(service.sleeps) == 3
    assert caught.value.status == 503
    assert "read account" in caught.value.message


async def test_retry_after_beyond_the_cap_is_returned_to_the_caller() -> None:
    connector, service = dataverse(
        lambda request: odata_error(
            429, "0x80072321", "Combined execution time exceeded", {"Retry-After": "600"}
        )
    )
    with pytest.raises(RetriableError) as caught:
        await connector.get("account", ACCOUNT["accountid"])
    assert caught.value.retry_after == 600
    assert len(service.requests) == 1


async def test_a_create_is_not_replayed_after_an_ambiguous_server_error() -> None:
    connector, service = dataverse(
        lambda request: odata_error(500, "0x80040265", "Plug-in failure")
    )
    with pytest.raises(RetriableError):
        await connector.create("account", {"name": "Fourth Coffee"})
    assert len(service.requests) == 1  # it may have been written: the caller decides


async def test_a_create_is_replayed_after_throttling() -> None:
    created = {**ACCOUNT, "name": "Fourth Coffee"}
    answers = [
        odata_error(429, "0x80072322", "Too many", {"Retry-After": "1"}),
        json_response(201, created),
    ]
    connector, service = dataverse(lambda request: answers.pop(0))
    record = await connector.create("account", {"name": "Fourth Coffee"})
    assert record.get("name") == "Fourth Coffee"
    assert [r.method for r in service.requests] == ["POST", "POST"]


async def test_transport_timeouts_are_retried_for_reads() -> None:
    calls = 0

    def api(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise httpx.ReadTimeout("timed out", request=request)
        return json_response(200, ACCOUNT)

    connector, _ = dataverse(api)
    assert (await connector.get("account", ACCOUNT["accountid"])).id == ACCOUNT["accountid"]
    assert calls == 2


@pytest.mark.parametrize(
    ("status", "code", "error_class"),
    [
        (412, "0x80060882", ConflictError),
        (404, "0x80040217", NotFoundError),
        (403, "0x80040220", AuthenticationError),
        (400, "0x80044331", ValidationError),
        (405, "0x80040216", ValidationError),
    ],
)
async def test_statuses_map_to_what_the_caller_must_do(
    status: int, code: str, error_class: type[Exception]
) -> None:
    message = "The version of the existing record doesn't match the RowVersion property provided."
    connector, _ = dataverse(lambda request: odata_error(status, code, message))
    record_id = guid()
    with pytest.raises(error_class) as caught:
        await connector.update("account", record_id, {"name": "x"}, etag='W/"1"')
    text = str(caught.value)
    assert text.startswith(f"[dataverse {status} {code}] update account {record_id}: ")
    assert message in text


def test_retry_after_accepts_seconds_and_http_dates() -> None:
    assert parse_retry_after("120") == 120
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    later = parse_retry_after("Wed, 21 Oct 2099 07:28:00 GMT")
    assert later is not None
    assert later > 0


def test_backoff_grows_and_stops_at_the_bound() -> None:
    policy = RetryPolicy(max_attempts=4, base_delay=1.0, max_delay=3.0)
    for attempt, bound in [(1, 1.0), (2, 2.0), (3, 3.0)]:
        delay = policy.delay(attempt)
        assert delay is not None
        assert 0 <= delay <= bound
    assert policy.delay(4) is None
