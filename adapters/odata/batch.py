"""OData `$batch` bodies: multipart/mixed (OData 4.0, Dataverse) and JSON (OData 4.01, BC).

Multipart: each request is an `application/http` part; requests that must succeed or fail
together sit in one change set (a nested multipart/mixed part, with a `Content-ID` per
request). The response mirrors the request: one `application/http` part per request, change
set answers nested, except that a failed change set is answered by its one error.

JSON: `{"requests": [{"id", "method", "url", "headers", "body"}]}` answered by
`{"responses": [{"id", "status", "headers", "body"}]}`, matched by id.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

CRLF = "\r\n"


@dataclass(frozen=True, slots=True)
class BatchRequest:
    method: str
    url: str
    headers: Mapping[str, str] = field(default_factory=dict)
    body: Any = None


@dataclass(frozen=True, slots=True)
class BatchResponse:
    status: int
    headers: Mapping[str, str]  # names lower-cased
    body: bytes = b""
    content_id: str | None = None

    def json(self) -> Any:
        return orjson.loads(self.body) if self.body.strip() else None


class BatchFormatError(ValueError):
    """The batch response could not be read."""


# ---- multipart/mixed -------------------------------------------------------------------------


def build_multipart(requests: Sequence[BatchRequest], *, atomic: bool) -> tuple[str, bytes]:
    """(Content-Type header, body) for a multipart batch; `atomic` puts all in one change set."""
    batch = f"batch_{uuid.uuid4()}"
    lines: list[str] = []
    if atomic:
        changeset = f"changeset_{uuid.uuid4()}"
        lines += [f"--{batch}", f"Content-Type: multipart/mixed; boundary={changeset}", ""]
        for number, request in enumerate(requests, start=1):
            lines.append(f"--{changeset}")
            lines += _http_part(request, content_id=str(number))
        lines += [f"--{changeset}--", ""]
    else:
        for request in requests:
            lines.append(f"--{batch}")
            lines += _http_part(request, content_id=None)
    lines += [f"--{batch}--", ""]
    return f"multipart/mixed; boundary={batch}", CRLF.join(lines).encode()


def _http_part(request: BatchRequest, *, content_id: str | None) -> list[str]:
    lines = ["Content-Type: application/http", "Content-Transfer-Encoding: binary"]
    if content_id is not None:
        lines.append(f"Content-ID: {content_id}")
    lines += ["", f"{request.method.upper()} {request.url} HTTP/1.1"]
    headers = dict(request.headers)
    if request.body is not None:
        headers.setdefault("Content-Type", "application/json; type=entry")
    lines += [f"{name}: {value}" for name, value in headers.items()]
    lines.append("")
    lines.append(orjson.dumps(request.body).decode() if request.body is not None else "")
    return lines


def parse_multipart(content_type: str, body: bytes) -> list[BatchResponse]:
    """Every response of a multipart batch answer, change sets flattened, in order."""
    boundary = _boundary(content_type)
    text = body.decode("utf-8", "replace").replace("\r\n", "\n")
    return _parse_parts(text, boundary)


def _boundary(content_type: str) -> str:
    for parameter in content_type.split(";")[1:]:
        name, _, value = parameter.strip().partition("=")
        if name.strip().lower() == "boundary" and value:
            return value.strip().strip('"')
    raise BatchFormatError(f"no boundary in Content-Type {content_type!r}")


def _parse_parts(text: str, boundary: str) -> list[BatchResponse]:
    delimiter = f"--{boundary}"
    responses: list[BatchResponse] = []
    chunks = text.split(delimiter)
    if len(chunks) < 2:
        raise BatchFormatError("the batch answer has no parts")
    for chunk in chunks[1:]:
        if chunk.startswith("--"):  # the close delimiter
            break
        headers, content = _split_head(chunk.lstrip("\n"))
        part_type = headers.get("content-type", "")
        if part_type.lower().startswith("multipart/mixed"):
            responses += _parse_parts(content, _boundary(part_type))
        else:
            responses.append(_parse_http(content, headers.get("content-id")))
    return responses


def _split_head(chunk: str) -> tuple[dict[str, str], str]:
    if chunk.startswith("\n"):  # no headers at all
        return {}, chunk[1:]
    head, _, rest = chunk.partition("\n\n")
    headers: dict[str, str] = {}
    for line in head.split("\n"):
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    return headers, rest


def _parse_http(content: str, content_id: str | None) -> BatchResponse:
    status_line, _, rest = content.lstrip("\n").partition("\n")
    parts = status_line.split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
        raise BatchFormatError(f"not an HTTP response line: {status_line[:80]!r}")
    headers, payload = _split_head(rest)
    return BatchResponse(
        status=int(parts[1]),
        headers=headers,
        body=payload.strip("\n").encode(),
        content_id=content_id or headers.get("content-id"),
    )


def position(content_id: str | None) -> int:
    """The 0-based request index a numeric Content-ID / id stands for, or -1."""
    return int(content_id) - 1 if content_id and content_id.isdigit() else -1


# ---- JSON batch --------------------------------------------------------------------------------


def build_json_batch(requests: Sequence[BatchRequest]) -> dict[str, Any]:
    entries = []
    for number, request in enumerate(requests, start=1):
        entry: dict[str, Any] = {
            "id": str(number),
            "method": request.method.upper(),
            "url": request.url,
            "headers": dict(request.headers),
        }
        if request.body is not None:
            entry["headers"].setdefault("Content-Type", "application/json")
            entry["body"] = request.body
        entries.append(entry)
    return {"requests": entries}


def parse_json_batch(data: Any, count: int) -> list[BatchResponse | None]:
    """Responses in request order (None where the server sent none for a request)."""
    if not isinstance(data, dict) or not isinstance(data.get("responses"), list):
        raise BatchFormatError("the batch answer has no 'responses' list")
    results: list[BatchResponse | None] = [None] * count
    unmatched: list[BatchResponse] = []
    for entry in data["responses"]:
        if not isinstance(entry, dict) or not isinstance(entry.get("status"), int):
            raise BatchFormatError("a batch response has no status")
        headers = {str(k).lower(): str(v) for k, v in (entry.get("headers") or {}).items()}
        body = entry.get("body")
        response = BatchResponse(
            status=entry["status"],
            headers=headers,
            body=orjson.dumps(body) if body is not None else b"",
            content_id=str(entry["id"]) if entry.get("id") is not None else None,
        )
        index = position(response.content_id)
        if 0 <= index < count and results[index] is None:
            results[index] = response
        else:
            unmatched.append(response)
    # Servers that answer without ids answer in request order.
    for response in unmatched:
        free = results.index(None) if None in results else -1
        if free < 0:
            break
        results[free] = response
    return results
