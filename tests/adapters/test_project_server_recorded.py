"""The Project Server connector against recorded SharePoint answers the sandbox does not
give: an expired request digest, verbose JSON, a failed queue job and a publish that never
ends."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from adapters.base import Create
from adapters.errors import RetriableError
from adapters.project_server import ProjectServerConnector
from adapters.project_server.session import Session
from adapters.registry import ConnectionConfig, build_project_server
from tests.adapters.recorded import json_response, path_of

SITE = "https://contoso.sharepoint.com/sites/pwa/"
PROJECT = "6a0e4b8c-1111-4222-8333-944444444444"


async def _no_wait(seconds: float) -> None:
    await asyncio.sleep(0)


def connector(handler: Any) -> ProjectServerConnector:
    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    built = build_project_server(
        ConnectionConfig(base_url=SITE, max_attempts=2), http=http, sleep=_no_wait
    )
    built.session = Session(built.client, job_timeout=5.0, poll=_no_wait)
    built.reader.session = built.session
    return built


def digest_error() -> httpx.Response:
    return json_response(
        403,
        {
            "error": {
                "code": "-2130575251, Microsoft.SharePoint.SPException",
                "message": {
                    "lang": "en-US",
                    "value": "The security validation for this page is invalid.",
                },
            }
        },
    )


async def test_an_expired_digest_is_renewed_once_and_the_write_sent_again() -> None:
    digests: list[str] = []
    adds: list[str | None] = []

    def handler(request: httpx.Request) -> httpx.Response:
        path = path_of(request)
        if path.endswith("/contextinfo"):
            digests.append(f"0x{len(digests)},now")
            # Verbose JSON, as SharePoint 2013 answers without odata=nometadata.
            return json_response(
                200,
                {
                    "d": {
                        "GetContextWebInformation": {
                            "FormDigestValue": digests[-1],
                            "FormDigestTimeoutSeconds": 1800,
                        }
                    }
                },
            )
        if path.endswith("/Projects/Add"):
            adds.append(request.headers.get("X-RequestDigest"))
            if len(adds) == 1:
                return digest_error()
            return json_response(200, {"Id": PROJECT, "Name": "Rollout"})
        raise AssertionError(path)

    built = connector(handler)
    record = await built.create("project", {"Id": PROJECT, "Name": "Rollout"})
    assert record.id == PROJECT
    assert adds == ["0x0,now", "0x1,now"]
    await built.aclose()


def draft_handler(job_states: list[int], errors: list[str] | None = None) -> Any:
    answers: dict[str, Any] = {
        "/contextinfo": {"FormDigestValue": "0xD,now", "FormDigestTimeoutSeconds": 1800},
        "/CustomFields": {"value": []},
        "/checkOut()": {"Id": PROJECT},
        "/Draft/Tasks": {"d": {"results": []}},
        "/Draft/Assignments": {"d": {"results": []}},
        "/Draft/Tasks/Add": {"Id": "7b0e4b8c-1111-4222-8333-944444444444", "Name": "T"},
        "/Draft/publish(true)": {"Id": "J1", "JobState": 1},
    }

    def handler(request: httpx.Request) -> httpx.Response:
        path = path_of(request)
        if "/QueueJobs(" in path:
            state = job_states.pop(0) if len(job_states) > 1 else job_states[0]
            return json_response(200, {"Id": "J1", "JobState": state, "Errors": errors or []})
        found = next((body for end, body in answers.items() if path.endswith(end)), None)
        assert found is not None, path
        return json_response(200, found)

    return handler


async def test_a_failed_publish_job_fails_the_projects_writes_as_retriable() -> None:
    built = connector(
        draft_handler([3, 5], ["GeneralQueueJobFailed: the project could not be saved"])
    )
    [result] = await built.write_many(
        [
            Create(
                "task",
                {"ProjectId": PROJECT, "Id": "7b0e4b8c-1111-4222-8333-944444444444", "Name": "T"},
            )
        ]
    )
    assert isinstance(result.error, RetriableError)
    assert "could not be saved" in result.error.message
    await built.aclose()


async def test_a_queue_job_that_never_ends_is_given_up_after_the_timeout() -> None:
    built = connector(draft_handler([3]))
    built.session.job_timeout = 0.0
    [result] = await built.write_many(
        [
            Create(
                "task",
                {"ProjectId": PROJECT, "Id": "7b0e4b8c-1111-4222-8333-944444444444", "Name": "T"},
            )
        ]
    )
    assert isinstance(result.error, RetriableError)
    assert "did not finish" in result.error.message
    await built.aclose()


@pytest.mark.parametrize("status", [429, 503])
async def test_throttling_while_checking_out_is_retriable(status: int) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        path = path_of(request)
        if path.endswith("/contextinfo"):
            return json_response(
                200, {"FormDigestValue": "0xD,now", "FormDigestTimeoutSeconds": 1800}
            )
        if path.endswith("/CustomFields"):
            return json_response(200, {"value": []})
        return json_response(
            status,
            {"error": {"code": "-2147024860", "message": {"lang": "en-US", "value": "throttled"}}},
            {"Retry-After": "1"},
        )

    built = connector(handler)
    [result] = await built.write_many([Create("task", {"ProjectId": PROJECT, "Name": "T"})])
    assert isinstance(result.error, RetriableError)
    assert result.error.status == status
    assert "throttled" in result.error.message
    await built.aclose()
