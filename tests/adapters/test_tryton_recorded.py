"""The Tryton connector against recorded JSON-RPC answers, for what a live server rarely says.

The answers have the shapes trytond's JSON-RPC protocol gives them: `{"id", "result"}`, or
`{"id", "error": [exception name, exception args]}` for Tryton's exceptions and
`[str(exception), traceback]` for anything else; HTTP statuses for refused sessions and busy
databases.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import httpx
import orjson
import pytest

from adapters.base import Entity
from adapters.errors import (
    AuthenticationError,
    ConflictError,
    ConnectorError,
    NotFoundError,
    RetriableError,
    ValidationError,
)
from adapters.filters import And, Compare, Contains, Not, StartsWith, eq
from adapters.tryton import ENTITIES, TrytonConfig, TrytonConnector
from adapters.tryton.domains import to_domain
from adapters.tryton.tokens import decode_watermark, encode_watermark
from adapters.tryton.wire import from_wire, to_wire
from gateway.connectors import build_erp
from gateway.settings import ConfigurationError, Settings

URL = "https://erp.example.com"
PASSWORD = "Sup3r-Secret-Pass"
RPC = f"{URL}/shop/rpc/"

Answer = Callable[[str, list[Any]], httpx.Response]


def result(value: Any) -> httpx.Response:
    return httpx.Response(200, json={"id": 1, "result": to_wire(value)})


def error(value: Any) -> httpx.Response:
    return httpx.Response(200, json={"id": 1, "error": value})


class FakeTryton:
    """Answers login and preferences like trytond; model calls go to `answer`."""

    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.logins = 0
        self.requests: list[tuple[str, str, list[Any], str | None]] = []
        # Sessions the server has forgotten (expired, logged out): their calls get a 401.
        self.forgotten: set[str | None] = set()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = orjson.loads(request.content)
        method, params = body["method"], body["params"]
        self.requests.append(
            (str(request.url), method, params, request.headers.get("Authorization"))
        )
        if method == "common.db.login":
            self.logins += 1
            return result([7, f"session-{self.logins}", None])
        if request.headers.get("Authorization") in self.forgotten:
            return httpx.Response(401)
        if method == "model.res.user.get_preferences":
            return result({"company": 1, "language": "en", "locale": {"date": "%m/%d/%Y"}})
        return self.answer(method, params)

    def calls(self, method: str) -> list[list[Any]]:
        return [params for _, name, params, _ in self.requests if name == method]


def connector(fake: FakeTryton, *, max_attempts: int = 1) -> TrytonConnector:
    client = httpx.AsyncClient(transport=httpx.MockTransport(fake))
    config = TrytonConfig(URL, "shop", "gateway", PASSWORD, max_attempts=max_attempts)
    return TrytonConnector(config, client)


CURRENCY_ROW = {
    "id": 2,
    "code": "EUR",
    "name": "Euro",
    "rate": {"__class__": "Decimal", "decimal": "1.0850"},
    "digits": 2,
    "active": True,
    "_timestamp": "1717171717.5",
    "last_modified_at": {
        "__class__": "datetime",
        "year": 2024,
        "month": 5,
        "day": 31,
        "hour": 16,
        "minute": 8,
        "second": 37,
        "microsecond": 500000,
    },
}


@pytest.mark.parametrize(
    ("payload", "kind", "code", "text"),
    [
        (
            ["UserError", ["The value of the field is not valid.", "Check the code.", None]],
            ValidationError,
            "UserError",
            "The value of the field is not valid. (Check the code.)",
        ),
        (
            ["UserWarning", ["sale_quantity", "The quantity is unusual.", ""]],
            ValidationError,
            "UserWarning",
            "The quantity is unusual.",
        ),
        (
            ["ConcurrencyException", "Records were modified in the meanwhile"],
            ConflictError,
            "ConcurrencyException",
            "Records were modified in the meanwhile",
        ),
        (
            ["LoginException", ["totp_code", "Authentication code", "char"]],
            AuthenticationError,
            "LoginException",
            "Authentication code",
        ),
        (
            ["UserError", ['You are not allowed to access "Currency".', "Within groups: ", None]],
            AuthenticationError,
            "AccessError",
            'You are not allowed to access "Currency".',
        ),
        (
            ["UserError", ['You are trying to read records "9" of "Currency" that don\'t exist.']],
            NotFoundError,
            "UserError",
            "don't exist",
        ),
        (
            ["'NoneType' object is not subscriptable", "Traceback (most recent call last): ..."],
            RetriableError,
            "ServerError",
            "'NoneType' object is not subscriptable",
        ),
    ],
)
async def test_error_answers_are_classified(
    payload: list[Any], kind: type[ConnectorError], code: str, text: str
) -> None:
    fake = FakeTryton(lambda method, params: error(payload))
    tryton = connector(fake)
    with pytest.raises(kind) as caught:
        await tryton.query(Entity.CURRENCY)
    assert type(caught.value) is kind
    assert caught.value.code == code
    assert text in caught.value.message
    assert "Traceback" not in str(caught.value)
    await tryton.aclose()


@pytest.mark.parametrize(
    ("status", "headers", "kind", "retry_after"),
    [
        (503, {"Retry-After": "7"}, RetriableError, 7.0),
        (504, {}, RetriableError, None),
        (429, {"Retry-After": "2"}, RetriableError, 2.0),
        (403, {}, AuthenticationError, None),
        (422, {}, ValidationError, None),
    ],
)
async def test_http_statuses_are_classified(
    status: int, headers: dict[str, str], kind: type[ConnectorError], retry_after: float | None
) -> None:
    fake = FakeTryton(lambda method, params: httpx.Response(status, headers=headers))
    tryton = connector(fake)
    with pytest.raises(kind) as caught:
        await tryton.get_many(Entity.CURRENCY, ["1"])
    assert caught.value.status == status
    if retry_after is not None:
        assert isinstance(caught.value, RetriableError)
        assert caught.value.retry_after == retry_after
    await tryton.aclose()


async def test_connection_failures_are_retriable() -> None:
    def refuse(method: str, params: list[Any]) -> httpx.Response:
        raise httpx.ConnectError("connection refused")

    tryton = connector(FakeTryton(refuse))
    with pytest.raises(RetriableError) as caught:
        await tryton.query(Entity.CURRENCY)
    assert caught.value.code == "ConnectError"


async def test_a_refused_login_names_no_secret() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, headers={"WWW-Authenticate": 'Basic realm="Tryton"'})

    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    config = TrytonConfig(URL, "shop", "gateway", PASSWORD)
    with pytest.raises(AuthenticationError) as caught:
        await TrytonConnector(config, client).login()
    assert PASSWORD not in str(caught.value)
    assert PASSWORD not in repr(config)
    assert "wrong user or password" in caught.value.message


async def test_session_refused_after_a_fresh_login_is_not_retried_forever() -> None:
    fake = FakeTryton(lambda method, params: httpx.Response(401))
    tryton = connector(fake)
    with pytest.raises(AuthenticationError):
        await tryton.query(Entity.CURRENCY)
    assert fake.logins == 2
    assert len(fake.calls("model.currency.currency.search_read")) == 2


async def test_concurrent_calls_on_an_expired_session_log_in_once() -> None:
    def answer(method: str, params: list[Any]) -> httpx.Response:
        return result([CURRENCY_ROW])

    fake = FakeTryton(answer)
    tryton = connector(fake)
    await tryton.login()
    fake.forgotten.add(fake.requests[-1][3])
    results = await asyncio.gather(*(tryton.query(Entity.CURRENCY) for _ in range(5)))
    assert all(result.records[0].get("code") == "EUR" for result in results)
    assert fake.logins == 2


async def test_missing_records_are_told_apart_in_any_language() -> None:
    counts = {"value": 0}

    def answer(method: str, params: list[Any]) -> httpx.Response:
        if method.endswith(".write"):
            return error(["UserError", ["Vous essayez d'écrire sur des enregistrements.", ""]])
        if method.endswith(".search_count"):
            return result(counts["value"])
        return result([])

    fake = FakeTryton(answer)
    tryton = connector(fake)
    with pytest.raises(NotFoundError):
        await tryton.update(Entity.CUSTOMER, "41", {"name": "x"})
    counts["value"] = 1
    with pytest.raises(ValidationError, match="Vous essayez"):
        await tryton.update(Entity.CUSTOMER, "41", {"name": "x"})


async def test_older_servers_answer_on_the_database_root() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/rpc/"):
            return httpx.Response(404)
        return fake(request)

    fake = FakeTryton(lambda method, params: result([CURRENCY_ROW]))
    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    tryton = TrytonConnector(TrytonConfig(URL, "shop", "gateway", PASSWORD), client)
    found = await tryton.query(Entity.CURRENCY)
    assert found.records[0].get("code") == "EUR"
    assert {url for url, *_ in fake.requests} == {f"{URL}/shop/"}


async def test_values_and_context_travel_in_trytons_shapes() -> None:
    def answer(method: str, params: list[Any]) -> httpx.Response:
        if method == "model.currency.currency.search_read":
            return result([CURRENCY_ROW])
        if method == "model.sale.sale.search_read":
            return result([{"id": 5, "state": "draft", "_timestamp": "1717.5"}])
        if method.endswith(".search_read"):
            return result([])
        return result(None)

    fake = FakeTryton(answer)
    tryton = connector(fake)
    found = await tryton.get_many(Entity.CURRENCY, ["2"])
    record = found["2"]
    assert record.get("rate") == 1.085
    assert record.etag == "1717171717.5"
    assert record.modified_on == dt.datetime(2024, 5, 31, 16, 8, 37, 500000, tzinfo=dt.UTC)
    (read,) = fake.calls("model.currency.currency.search_read")
    domain, offset, limit, order, fields, context = read
    assert domain == [["id", "in", [2]]]
    assert (offset, limit, order) == (0, None, [["id", "ASC"]])
    assert {"_timestamp", "last_modified_at", "code"} <= set(fields)
    assert context == {"company": 1, "language": "en", "active_test": False}

    await tryton.update(
        Entity.QUOTE, "5", {"sale_date": "2024-05-01", "comment": "rush"}, etag="1717.25"
    )
    (write,) = fake.calls("model.sale.sale.write")
    ids, values, context = write
    assert ids == [5]
    assert values == {
        "sale_date": {"__class__": "date", "year": 2024, "month": 5, "day": 1},
        "comment": "rush",
    }
    assert context["_timestamp"] == {"sale.sale,5": "1717.25"}


def test_wire_values_round_trip() -> None:
    values = {
        "amount": Decimal("12.30"),
        "when": dt.datetime(2024, 1, 2, 3, 4, 5, 6, tzinfo=dt.UTC),
        "day": dt.date(2024, 2, 29),
        "effort": dt.timedelta(hours=1.5),
        "blob": b"\x00\x01",
        "rows": [1, "a", None],
    }
    assert from_wire(orjson.loads(orjson.dumps(to_wire(values)))) == values
    local = dt.datetime(2024, 1, 2, 5, 0, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert to_wire(local)["hour"] == 3


def test_filters_become_domains_with_negations_pushed_down() -> None:
    customer = ENTITIES[Entity.CUSTOMER]
    domain = to_domain(
        Not(And((Compare("name", "ge", "M"), Contains("name", "50%_off")))),
        customer.name,
        customer.field,
    )
    assert domain == [["OR", ["name", "<", "M"], ["name", "not ilike", "%50\\%\\_off%"]]]

    email = to_domain(Not(StartsWith("email", "info@")), customer.name, customer.field)
    assert email == [
        [
            "contact_mechanisms",
            "not where",
            [["type", "=", "email"], ["value", "ilike", "info@%"]],
        ]
    ]

    sale = ENTITIES[Entity.QUOTE]
    dated = to_domain(eq("sale_date", "2024-05-01"), sale.name, sale.field)
    assert dated == [["sale_date", "=", dt.date(2024, 5, 1)]]
    with pytest.raises(ValidationError, match=r"quote\.lines: cannot be filtered on"):
        to_domain(eq("lines", "x"), sale.name, sale.field)


def test_watermark_tokens_round_trip() -> None:
    moment = dt.datetime(2024, 5, 31, 16, 8, 37, 123456, tzinfo=dt.UTC)
    assert decode_watermark(encode_watermark(moment, 42)) == (moment, 42)
    with pytest.raises(ValidationError, match="token"):
        decode_watermark("w1.e30")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"url": "ftp://erp"}, "url"),
        ({"database": " "}, "database"),
        ({"user": ""}, "user"),
        ({"password": ""}, "password"),
        ({"batch_size": 0}, "batch_size"),
    ],
)
def test_config_names_the_bad_setting(changes: dict[str, Any], message: str) -> None:
    values: dict[str, Any] = {
        "url": URL,
        "database": "shop",
        "user": "gateway",
        "password": PASSWORD,
        **changes,
    }
    with pytest.raises(ValueError, match=message):
        TrytonConfig(**values)


def tryton_settings(**values: Any) -> Settings:
    return Settings(_env_file=None, erp="tryton", **values)  # type: ignore[call-arg]


def test_settings_build_a_tryton_erp_without_touching_the_network() -> None:
    settings = tryton_settings(
        tryton_url="http://erp.example.com:8000",
        tryton_database="shop",
        tryton_user="gateway",
        tryton_password=PASSWORD,
    )
    erp = build_erp(settings)
    assert isinstance(erp, TrytonConnector)
    assert build_erp(tryton_settings()) is None
    with pytest.raises(ConfigurationError, match="TRYTON_PASSWORD is required"):
        build_erp(tryton_settings(tryton_url=URL, tryton_database="shop", tryton_user="u"))


class Waits:
    """The connector's pauses between tries, recorded instead of slept."""

    def __init__(self) -> None:
        self.seconds: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.seconds.append(seconds)


def retrying(fake: FakeTryton, waits: Waits, **config: Any) -> TrytonConnector:
    client = httpx.AsyncClient(transport=httpx.MockTransport(fake))
    settings = TrytonConfig(URL, "shop", "gateway", PASSWORD, **config)
    return TrytonConnector(settings, client, sleep=waits)


async def test_a_read_is_tried_again_while_the_server_is_busy() -> None:
    answers = iter([httpx.Response(503), httpx.Response(503, headers={"Retry-After": "3"})])

    def answer(method: str, params: list[Any]) -> httpx.Response:
        return next(answers, None) or result([{"id": 1, "name": "Euro", "code": "EUR"}])

    fake, waits = FakeTryton(answer), Waits()
    tryton = retrying(fake, waits, max_attempts=5)
    found = await tryton.get_many(Entity.CURRENCY, ["1"])
    assert list(found) == ["1"]
    assert len(fake.calls("model.currency.currency.search_read")) == 3
    assert len(waits.seconds) == 2
    assert waits.seconds[1] >= 3.0  # the server's Retry-After is honoured
    await tryton.aclose()


async def test_a_write_that_may_have_arrived_is_not_sent_twice() -> None:
    fake, waits = FakeTryton(lambda method, params: httpx.Response(502)), Waits()
    tryton = retrying(fake, waits, max_attempts=5)
    with pytest.raises(RetriableError):
        await tryton.rpc.model("party.party", "create", [{"name": "Contoso"}])
    assert len(fake.calls("model.party.party.create")) == 1
    assert waits.seconds == []
    await tryton.aclose()


async def test_a_write_refused_before_processing_is_sent_again() -> None:
    answers = iter([httpx.Response(429, headers={"Retry-After": "1"})])

    def answer(method: str, params: list[Any]) -> httpx.Response:
        return next(answers, None) or result([42])

    fake, waits = FakeTryton(answer), Waits()
    tryton = retrying(fake, waits, max_attempts=3)
    created = await tryton.rpc.model("party.party", "create", [{"name": "Contoso"}])
    assert created == [42]
    assert len(fake.calls("model.party.party.create")) == 2
    await tryton.aclose()


async def test_no_more_calls_are_in_flight_than_the_limit() -> None:
    in_flight, most = 0, 0
    release = asyncio.Event()

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, most
        body = orjson.loads(request.content)
        if body["method"] == "common.db.login":
            return result([7, "session", None])
        if body["method"] == "model.res.user.get_preferences":
            return result({"company": 1})
        in_flight += 1
        most = max(most, in_flight)
        if most >= 2:
            release.set()
        await release.wait()
        in_flight -= 1
        return result([])

    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    tryton = TrytonConnector(
        TrytonConfig(URL, "shop", "gateway", PASSWORD, max_concurrency=2, batch_size=1), client
    )
    await tryton.login()
    await asyncio.gather(*(tryton.get_many(Entity.CURRENCY, [str(i)]) for i in range(1, 9)))
    assert most == 2
    await tryton.aclose()
