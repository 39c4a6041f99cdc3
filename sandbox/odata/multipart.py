"""`multipart/mixed` batch bodies (OData 4.0 §11.7): parsing requests, writing responses."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from http import HTTPStatus

from sandbox.errors import ErrorKind, SandboxError
from sandbox.http import ApiResponse


@dataclass
class Part:
    headers: dict[str, str]  # lower-case names
    body: bytes


@dataclass
class HttpRequestPart:
    method: str
    url: str
    headers: dict[str, str]
    body: bytes
    content_id: str | None = None


@dataclass
class ChangeSet:
    requests: list[HttpRequestPart] = field(default_factory=list)


def boundary_of(content_type: str) -> str:
    for item in content_type.split(";"):
        name, _, value = item.strip().partition("=")
        if name.lower() == "boundary" and value:
            return value.strip('"')
    raise SandboxError(
        ErrorKind.BAD_PAYLOAD, "The batch request must be multipart/mixed with a boundary."
    )


def split_parts(body: bytes, boundary: str) -> list[Part]:
    delimiter = b"--" + boundary.encode()
    chunks = body.split(delimiter)
    parts: list[Part] = []
    for chunk in chunks[1:]:
        if chunk.startswith(b"--"):
            break
        parts.append(_part(chunk))
    return parts


def _part(chunk: bytes) -> Part:
    text = chunk.replace(b"\r\n", b"\n")
    if text.startswith(b"\n"):
        text = text[1:]
    head, _, body = text.partition(b"\n\n")
    headers = _headers(head.decode("utf-8", "replace").split("\n"))
    if body.endswith(b"\n"):
        body = body[:-1]
    return Part(headers, body)


def _headers(lines: list[str]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for line in lines:
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    return headers


def parse_batch(body: bytes, content_type: str) -> list[HttpRequestPart | ChangeSet]:
    items: list[HttpRequestPart | ChangeSet] = []
    for part in split_parts(body, boundary_of(content_type)):
        kind = part.headers.get("content-type", "")
        if kind.lower().startswith("multipart/mixed"):
            change_set = ChangeSet()
            for inner in split_parts(part.body, boundary_of(kind)):
                change_set.requests.append(_request(inner))
            items.append(change_set)
        else:
            items.append(_request(part))
    return items


def _request(part: Part) -> HttpRequestPart:
    text = part.body.replace(b"\r\n", b"\n")
    head, _, body = text.partition(b"\n\n")
    lines = head.decode("utf-8", "replace").split("\n")
    words = lines[0].split()
    if len(words) < 2:
        raise SandboxError(ErrorKind.BAD_PAYLOAD, f"Bad request line in batch part: '{lines[0]}'.")
    return HttpRequestPart(
        method=words[0].upper(),
        url=words[1],
        headers=_headers(lines[1:]),
        body=body.strip(b"\n"),
        content_id=part.headers.get("content-id"),
    )


def _http(response: ApiResponse, content_id: str | None) -> str:
    reason = HTTPStatus(response.status).phrase
    lines = ["Content-Type: application/http", "Content-Transfer-Encoding: binary"]
    if content_id is not None:
        lines.append(f"Content-ID: {content_id}")
    lines += ["", f"HTTP/1.1 {response.status} {reason}"]
    headers = dict(response.headers)
    if response.media_type and response.body is not None:
        headers["Content-Type"] = response.media_type
    lines += [f"{name}: {value}" for name, value in headers.items()]
    lines.append("")
    lines.append(response.content().decode("utf-8"))
    return "\r\n".join(lines)


@dataclass
class BatchWriter:
    boundary: str = field(default_factory=lambda: f"batchresponse_{uuid.uuid4()}")
    _chunks: list[str] = field(default_factory=list)

    def add(self, response: ApiResponse, content_id: str | None = None) -> None:
        self._chunks.append(f"--{self.boundary}\r\n{_http(response, content_id)}\r\n")

    def add_change_set(self, responses: list[tuple[ApiResponse, str | None]]) -> None:
        inner = f"changesetresponse_{uuid.uuid4()}"
        text = [f"--{self.boundary}", f"Content-Type: multipart/mixed; boundary={inner}", ""]
        for response, content_id in responses:
            text.append(f"--{inner}\r\n{_http(response, content_id)}")
        text.append(f"--{inner}--")
        self._chunks.append("\r\n".join(text) + "\r\n")

    def finish(self) -> ApiResponse:
        body = "".join(self._chunks) + f"--{self.boundary}--\r\n"
        return ApiResponse(
            200,
            body.encode("utf-8"),
            {"OData-Version": "4.0"},
            f"multipart/mixed; boundary={self.boundary}",
        )
