"""`$batch` bodies: multipart/mixed as in the Dataverse documentation, JSON as in Business
Central's."""

from __future__ import annotations

import orjson

from adapters.odata.batch import (
    BatchRequest,
    build_json_batch,
    build_multipart,
    parse_json_batch,
    parse_multipart,
)

# The answer to a change set of three creates followed by a GET, from "Execute batch
# operations using the Web API" (line endings as the service sends them: CRLF).
CHANGE_SET_ANSWER = """--batchresponse_f27ef42d-51b0-4685-bac9-f468f844de2f
Content-Type: multipart/mixed; boundary=changesetresponse_64cc3fff-023a-45b0-b29d-df21583ffa15

--changesetresponse_64cc3fff-023a-45b0-b29d-df21583ffa15
Content-Type: application/http
Content-Transfer-Encoding: binary
Content-ID: 1

HTTP/1.1 204 No Content
OData-Version: 4.0
Location: https://contoso.crm.dynamics.com/api/data/v9.2/tasks(e73ffc82-e292-ed11-aad1-000d3a9933c9)
OData-EntityId: https://contoso.crm.dynamics.com/api/data/v9.2/tasks(e73ffc82-e292-ed11-aad1-000d3a9933c9)


--changesetresponse_64cc3fff-023a-45b0-b29d-df21583ffa15
Content-Type: application/http
Content-Transfer-Encoding: binary
Content-ID: 2

HTTP/1.1 204 No Content
OData-Version: 4.0
Location: https://contoso.crm.dynamics.com/api/data/v9.2/tasks(e83ffc82-e292-ed11-aad1-000d3a9933c9)
OData-EntityId: https://contoso.crm.dynamics.com/api/data/v9.2/tasks(e83ffc82-e292-ed11-aad1-000d3a9933c9)


--changesetresponse_64cc3fff-023a-45b0-b29d-df21583ffa15--
--batchresponse_f27ef42d-51b0-4685-bac9-f468f844de2f
Content-Type: application/http
Content-Transfer-Encoding: binary

HTTP/1.1 200 OK
Content-Type: application/json; odata.metadata=minimal; odata.streaming=true
OData-Version: 4.0

{
  "@odata.context": "https://contoso.crm.dynamics.com/api/data/v9.2/$metadata#tasks(subject)",
  "value": [
    {
      "@odata.etag": "W/\\"77181173\\"",
      "subject": "Task 1 in batch",
      "activityid": "e73ffc82-e292-ed11-aad1-000d3a9933c9"
    }
  ]
}
--batchresponse_f27ef42d-51b0-4685-bac9-f468f844de2f--
""".replace("\n", "\r\n")

CONTINUE_ON_ERROR_ANSWER = """--batchresponse_f44bd09d-573f-4a30-bca0-2e500ee7e139
Content-Type: application/http
Content-Transfer-Encoding: binary

HTTP/1.1 400 Bad Request
REQ_ID: de4c5227-4a28-4ebd-8ced-3392ece1697b
Content-Type: application/json; odata.metadata=minimal
OData-Version: 4.0

{"error":{"code":"0x80044331","message":"A validation error occurred."}}
--batchresponse_f44bd09d-573f-4a30-bca0-2e500ee7e139
Content-Type: application/http
Content-Transfer-Encoding: binary

HTTP/1.1 204 No Content
OData-Version: 4.0
Location: https://contoso.crm.dynamics.com/api/data/v9.2/tasks(aed2ae8b-3c94-ed11-aad1-000d3a9933c9)
OData-EntityId: https://contoso.crm.dynamics.com/api/data/v9.2/tasks(aed2ae8b-3c94-ed11-aad1-000d3a9933c9)


--batchresponse_f44bd09d-573f-4a30-bca0-2e500ee7e139--
"""


def test_change_set_answers_are_flattened_in_request_order() -> None:
    answers = parse_multipart(
        "multipart/mixed; boundary=batchresponse_f27ef42d-51b0-4685-bac9-f468f844de2f",
        CHANGE_SET_ANSWER.encode(),
    )
    assert [a.status for a in answers] == [204, 204, 200]
    assert [a.content_id for a in answers] == ["1", "2", None]
    assert answers[0].headers["odata-entityid"].endswith("(e73ffc82-e292-ed11-aad1-000d3a9933c9)")
    assert answers[2].json()["value"][0]["@odata.etag"] == 'W/"77181173"'


def test_errors_inside_a_batch_keep_their_body() -> None:
    answers = parse_multipart(
        'multipart/mixed; boundary="batchresponse_f44bd09d-573f-4a30-bca0-2e500ee7e139"',
        CONTINUE_ON_ERROR_ANSWER.encode(),
    )
    assert [a.status for a in answers] == [400, 204]
    assert answers[0].json()["error"]["code"] == "0x80044331"
    assert answers[1].body == b""


def test_independent_requests_are_top_level_parts() -> None:
    content_type, body = build_multipart(
        [
            BatchRequest("POST", "https://x/api/data/v9.2/tasks", {}, {"subject": "Task 1"}),
            BatchRequest("DELETE", "https://x/api/data/v9.2/tasks(1)", {"If-Match": 'W/"5"'}),
        ],
        atomic=False,
    )
    boundary = content_type.split("boundary=")[1]
    text = body.decode()
    assert content_type.startswith("multipart/mixed; boundary=batch_")
    assert text.count(f"--{boundary}\r\n") == 2
    assert text.endswith(f"--{boundary}--\r\n")
    assert "changeset_" not in text
    assert (
        "POST https://x/api/data/v9.2/tasks HTTP/1.1\r\nContent-Type: application/json; type=entry"
        in text
    )
    assert '{"subject":"Task 1"}' in text
    assert 'DELETE https://x/api/data/v9.2/tasks(1) HTTP/1.1\r\nIf-Match: W/"5"' in text


def test_atomic_requests_share_one_change_set_with_content_ids() -> None:
    _, body = build_multipart(
        [
            BatchRequest("PATCH", "https://x/a(1)", {}, {"name": "a"}),
            BatchRequest("PATCH", "https://x/a(2)", {}, {"name": "b"}),
        ],
        atomic=True,
    )
    text = body.decode()
    assert text.count("Content-Type: multipart/mixed; boundary=changeset_") == 1
    assert "Content-ID: 1" in text
    assert "Content-ID: 2" in text


def test_json_batch_round_trip_matches_answers_by_id() -> None:
    payload = build_json_batch(
        [
            BatchRequest(
                "PATCH",
                "companies(1)/items(7)",
                {"If-Match": "*"},
                {"displayName": "Touring Bicycle v2"},
            ),
            BatchRequest("DELETE", "companies(1)/items(8)", {"If-Match": 'W/"x"'}),
        ]
    )
    assert payload["requests"][0] == {
        "id": "1",
        "method": "PATCH",
        "url": "companies(1)/items(7)",
        "headers": {"If-Match": "*", "Content-Type": "application/json"},
        "body": {"displayName": "Touring Bicycle v2"},
    }
    assert "body" not in payload["requests"][1]
    answer = orjson.loads(
        b'{"responses": [{"id": "2", "status": 204, "headers": {}},'
        b'{"id": "1", "status": 200, "headers": {"content-type": "application/json"},'
        b'"body": {"displayName": "Touring Bicycle v2"}}]}'
    )
    first, second = parse_json_batch(answer, 2)
    assert first is not None
    assert first.status == 200
    assert first.json() == {"displayName": "Touring Bicycle v2"}
    assert second is not None
    assert second.status == 204


def test_json_batch_answers_without_ids_are_taken_in_order() -> None:
    # As in "Using OData transactional $batch requests", where every id is null.
    answer = {
        "responses": [
            {"id": None, "status": 200, "headers": {}, "body": {"displayName": "x"}},
            {"id": None, "status": 204, "headers": {}},
            {
                "id": None,
                "status": 400,
                "headers": {},
                "body": {"error": {"code": "Unknown", "message": "bad"}},
            },
        ]
    }
    results = parse_json_batch(answer, 3)
    assert [r.status for r in results if r is not None] == [200, 204, 400]
