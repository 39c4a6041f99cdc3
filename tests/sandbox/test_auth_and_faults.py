"""The token endpoint, bearer checks, fault switches and request statistics."""

from __future__ import annotations

import base64

import httpx
import orjson
import pytest

from tests.support_sandbox import DATAVERSE_SCOPE, SandboxHandle


async def token_response(sandbox: SandboxHandle, **form: str) -> httpx.Response:
    data = {
        "grant_type": "client_credentials",
        "client_id": sandbox.client_id,
        "client_secret": sandbox.client_secret,
        "scope": DATAVERSE_SCOPE,
        **form,
    }
    async with httpx.AsyncClient() as client:
        return await client.post(sandbox.token_url, data={k: v for k, v in data.items() if v})


async def test_token_endpoint_answers_like_entra_id(sandbox: SandboxHandle) -> None:
    response = await token_response(sandbox)
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] > 0
    assert body["access_token"].count(".") == 2
    assert response.headers["Cache-Control"].startswith("no-store")


@pytest.mark.parametrize(
    ("form", "status", "error", "code"),
    [
        ({"client_secret": "wrong"}, 401, "invalid_client", 7000215),
        ({"client_id": "someone-else"}, 400, "unauthorized_client", 700016),
        ({"grant_type": "password"}, 400, "unsupported_grant_type", 70003),
        ({"scope": ""}, 400, "invalid_request", 900144),
        ({"scope": "https://x.example/user_impersonation"}, 400, "invalid_scope", 1002012),
    ],
)
async def test_token_errors(
    sandbox: SandboxHandle, form: dict[str, str], status: int, error: str, code: int
) -> None:
    response = await token_response(sandbox, **form)
    assert response.status_code == status
    body = response.json()
    assert body["error"] == error
    assert body["error_codes"] == [code]
    assert body["error_description"].startswith(f"AADSTS{code}:")
    assert sandbox.client_secret not in response.text


async def test_basic_authentication_of_the_client(sandbox: SandboxHandle) -> None:
    async with httpx.AsyncClient() as client:
        response = await client.post(
            sandbox.token_url,
            data={"grant_type": "client_credentials", "scope": DATAVERSE_SCOPE},
            auth=(sandbox.client_id, sandbox.client_secret),
        )
    assert response.status_code == 200


async def test_missing_unknown_and_expired_tokens_are_401(sandbox: SandboxHandle) -> None:
    async with httpx.AsyncClient() as client:
        for api in (sandbox.dataverse_api + "accounts", sandbox.bc_api + "companies"):
            missing = await client.get(api)
            assert missing.status_code == 401
            assert missing.headers["WWW-Authenticate"].startswith("Bearer")
            forged = await client.get(api, headers={"Authorization": "Bearer abc.def.ghi"})
            assert forged.status_code == 401
        token = await sandbox.token()
        headers = {"Authorization": f"Bearer {token}"}
        assert (
            await client.get(sandbox.dataverse_api + "accounts", headers=headers)
        ).status_code == 200
        await sandbox.expire_tokens()
        expired = await client.get(sandbox.dataverse_api + "accounts", headers=headers)
        assert expired.status_code == 401
        assert 'error="invalid_token"' in expired.headers["WWW-Authenticate"]
        bc_expired = await client.get(sandbox.bc_api + "companies", headers=headers)
        assert bc_expired.status_code == 401
        assert bc_expired.json()["error"]["code"] == "Authentication_InvalidCredentials"
        fresh = await sandbox.token()
        ok = await client.get(
            sandbox.dataverse_api + "accounts", headers={"Authorization": f"Bearer {fresh}"}
        )
        assert ok.status_code == 200


async def test_token_lifetime_is_configurable(sandbox: SandboxHandle) -> None:
    await sandbox.set_token_lifetime(120)
    response = await token_response(sandbox)
    assert response.json()["expires_in"] == 120


async def test_throttling_answers_429_with_retry_after(
    sandbox: SandboxHandle, dataverse: httpx.AsyncClient, bc: httpx.AsyncClient
) -> None:
    await sandbox.set_faults(throttle={"limit": 3, "window_seconds": 60})
    statuses = [(await dataverse.get("accounts")).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    throttled = await dataverse.get("accounts")
    assert int(throttled.headers["Retry-After"]) >= 1
    assert throttled.json()["error"]["code"] == "0x80072322"
    bc_throttled = await bc.get("customers")
    assert bc_throttled.status_code == 429
    assert "Retry-After" in bc_throttled.headers
    stats = await sandbox.stats()
    assert stats["faults"]["dataverse"]["429"] == 2
    await sandbox.clear_faults()
    assert (await dataverse.get("accounts")).status_code == 200


async def test_fail_next_requests_deterministically(
    sandbox: SandboxHandle, dataverse: httpx.AsyncClient
) -> None:
    await sandbox.set_faults(fail_next={"count": 2, "status": 503})
    statuses = [(await dataverse.get("accounts")).status_code for _ in range(3)]
    assert statuses == [503, 503, 200]


async def test_random_errors_follow_the_seed(
    sandbox: SandboxHandle, dataverse: httpx.AsyncClient
) -> None:
    async def run() -> list[int]:
        await sandbox.set_faults(error_rate=0.5, error_status=500, seed=11)
        return [(await dataverse.get("accounts/$count")).status_code for _ in range(12)]

    first, second = await run(), await run()
    assert first == second
    assert set(first) == {200, 500}


async def test_faults_can_target_one_api(
    sandbox: SandboxHandle, dataverse: httpx.AsyncClient, bc: httpx.AsyncClient
) -> None:
    await sandbox.set_faults(fail_next={"count": 1, "status": 502}, apis=["bc"])
    assert (await dataverse.get("accounts")).status_code == 200
    assert (await bc.get("customers")).status_code == 502


async def test_bad_fault_settings_are_400(sandbox: SandboxHandle) -> None:
    async with httpx.AsyncClient() as client:
        for body in (
            {"throttle": {"limit": -1}},
            {"error_rate": 2},
            {"nonsense": 1},
            {"apis": ["x"]},
            {"operation_latency_ms": -1},
        ):
            response = await client.put(f"{sandbox.base_url}/_sandbox/faults", json=body)
            assert response.status_code == 400, body
            assert response.json()["error"]["message"]


async def test_stats_count_requests_per_api_and_entity_set(
    sandbox: SandboxHandle, dataverse: httpx.AsyncClient, bc: httpx.AsyncClient
) -> None:
    await sandbox.reset_stats()
    await dataverse.get("accounts")
    await dataverse.get("accounts", params={"$top": "1"})
    await dataverse.post("accounts", json={"name": "Counted"})
    await bc.get("customers")
    stats = await sandbox.stats()
    assert stats["apis"]["dataverse"]["entity_sets"]["accounts"] == {"GET": 2, "POST": 1}
    assert stats["apis"]["bc"]["entity_sets"]["customers"] == {"GET": 1}
    assert sandbox.requests_to(stats, "dataverse", "accounts") == 3
    assert stats["requests"] == 4


async def test_more_application_users_get_tokens_of_their_own(sandbox: SandboxHandle) -> None:
    await sandbox.add_clients({"second-user": "second-user-secret"})
    response = await token_response(
        sandbox, client_id="second-user", client_secret="second-user-secret"
    )
    assert response.status_code == 200
    wrong = await token_response(sandbox, client_id="second-user", client_secret="nope")
    assert wrong.status_code == 401
    await sandbox.reset_stats()
    async with httpx.AsyncClient() as client:
        token = response.json()["access_token"]
        answer = await client.get(
            sandbox.dataverse_api + "accounts", headers={"Authorization": f"Bearer {token}"}
        )
        assert answer.status_code == 200
        # a token naming another client than the one whose key signed it is refused
        header, _, rest = token.partition(".")
        body, _, signature = rest.partition(".")
        claims = orjson.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        claims["appid"] = sandbox.client_id
        forged_body = base64.urlsafe_b64encode(orjson.dumps(claims)).decode().rstrip("=")
        forged = await client.get(
            sandbox.dataverse_api + "accounts",
            headers={"Authorization": f"Bearer {header}.{forged_body}.{signature}"},
        )
        assert forged.status_code == 401
    stats = await sandbox.stats()
    assert stats["apis"]["dataverse"]["most_in_flight_by_client"] == {"second-user": 1}


async def test_operation_latency_is_a_fault_setting(sandbox: SandboxHandle) -> None:
    settings = await sandbox.set_faults(operation_latency_ms=20, apis=["dataverse"])
    assert settings["operation_latency_ms"] == 20
    await sandbox.clear_faults()
