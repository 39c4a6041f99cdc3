"""Dataverse `$batch`: multipart/mixed with atomic change sets and Content-ID references."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx

from sandbox.odata.multipart import split_parts

Request = tuple[str, str, dict[str, Any] | None]


def change_set(root: str, requests: list[Request]) -> str:
    boundary = f"changeset_{uuid.uuid4().hex}"
    lines = [f"Content-Type: multipart/mixed; boundary={boundary}", ""]
    for content_id, (method, url, body) in enumerate(requests, start=1):
        lines += [
            f"--{boundary}",
            "Content-Type: application/http",
            "Content-Transfer-Encoding: binary",
            f"Content-ID: {content_id}",
            "",
            f"{method} {url if url.startswith('$') else root + url} HTTP/1.1",
            "Content-Type: application/json; type=entry",
            "",
            json.dumps(body) if body is not None else "",
        ]
    lines.append(f"--{boundary}--")
    return "\r\n".join(lines)


def single(root: str, method: str, url: str) -> str:
    return "\r\n".join(
        [
            "Content-Type: application/http",
            "Content-Transfer-Encoding: binary",
            "",
            f"{method} {root}{url} HTTP/1.1",
            "Accept: application/json",
            "",
            "",
        ]
    )


def batch_body(parts: list[str]) -> tuple[str, str]:
    boundary = f"batch_{uuid.uuid4().hex}"
    text = "".join(f"--{boundary}\r\n{part}\r\n" for part in parts) + f"--{boundary}--\r\n"
    return text, f"multipart/mixed; boundary={boundary}"


async def send(dataverse: httpx.AsyncClient, parts: list[str]) -> list[str]:
    text, content_type = batch_body(parts)
    response = await dataverse.post(
        "$batch", content=text.encode(), headers={"Content-Type": content_type}
    )
    assert response.status_code == 200, response.text
    boundary = response.headers["content-type"].split("boundary=")[1]
    return [part.body.decode() for part in split_parts(response.content, boundary)]


async def accounts_named(dataverse: httpx.AsyncClient, name: str) -> list[dict[str, Any]]:
    response = await dataverse.get("accounts", params={"$filter": f"name eq '{name}'"})
    rows: list[dict[str, Any]] = response.json()["value"]
    return rows


async def test_change_set_with_content_id_reference(dataverse: httpx.AsyncClient) -> None:
    root = "/dataverse/api/data/v9.2/"
    parts = [
        change_set(
            root,
            [
                ("POST", "accounts", {"name": "Batch Parent"}),
                (
                    "POST",
                    "contacts",
                    {"lastname": "Batchson", "parentcustomerid_account@odata.bind": "$1"},
                ),
                ("PATCH", "$1", {"telephone1": "555-0199"}),
            ],
        ),
        single(
            root, "GET", "accounts?$select=name,telephone1&$filter=name%20eq%20'Batch%20Parent'"
        ),
    ]
    responses = await send(dataverse, parts)
    assert len(responses) == 2
    assert responses[0].count("HTTP/1.1 204 No Content") == 3
    assert "HTTP/1.1 200 OK" in responses[1]
    assert "555-0199" in responses[1]
    [account] = await accounts_named(dataverse, "Batch Parent")
    contacts = await dataverse.get(
        "contacts", params={"$filter": f"_parentcustomerid_value eq {account['accountid']}"}
    )
    assert [c["lastname"] for c in contacts.json()["value"]] == ["Batchson"]


async def test_failing_change_set_leaves_nothing(dataverse: httpx.AsyncClient) -> None:
    root = "/dataverse/api/data/v9.2/"
    existing = await dataverse.post(
        "accounts", json={"name": "Untouched"}, headers={"Prefer": "return=representation"}
    )
    existing_id = existing.json()["accountid"]
    parts = [
        change_set(
            root,
            [
                ("POST", "accounts", {"name": "Atomic One"}),
                ("PATCH", f"accounts({existing_id})", {"name": "Touched"}),
                ("DELETE", f"accounts({existing_id})", None),
                ("POST", "accounts", {"name": "Atomic Two", "numberofemployees": "lots"}),
            ],
        ),
        single(root, "GET", "accounts?$select=name"),
    ]
    responses = await send(dataverse, parts)
    assert len(responses) == 1  # processing stops at the failed change set
    assert "HTTP/1.1 400 Bad Request" in responses[0]
    assert "0x80048d19" in responses[0]
    assert await accounts_named(dataverse, "Atomic One") == []
    restored = await dataverse.get(f"accounts({existing_id})")
    assert restored.status_code == 200
    assert restored.json()["name"] == "Untouched"


async def test_continue_on_error(dataverse: httpx.AsyncClient) -> None:
    root = "/dataverse/api/data/v9.2/"
    parts = [single(root, "GET", "nosuchset"), single(root, "GET", "accounts?$top=1")]
    text, content_type = batch_body(parts)
    response = await dataverse.post(
        "$batch",
        content=text.encode(),
        headers={"Content-Type": content_type, "Prefer": "odata.continue-on-error"},
    )
    boundary = response.headers["content-type"].split("boundary=")[1]
    bodies = [part.body.decode() for part in split_parts(response.content, boundary)]
    assert "404 Not Found" in bodies[0]
    assert "200 OK" in bodies[1]
