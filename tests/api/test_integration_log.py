"""The integration log searched as an operator searches it: by operation, mapping, actor,
time range, and one record's whole history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from gateway.services import Services
from gateway.store.integration_log import LogEntry, Outcome, ResultStatus, Target
from tests.api.support import data, gql

QUERY = """
query ($operation: String, $mapping: String, $recordId: ID, $actor: String,
       $since: DateTime, $until: DateTime) {
  integrationLog(first: 50, operation: $operation, mapping: $mapping, recordId: $recordId,
                 actor: $actor, since: $since, until: $until) {
    edges { node { operation actor target { id } } }
  }
}
"""
T0 = datetime(2026, 11, 1, tzinfo=UTC)


def entry(operation: str, mapping: str, record: str, *, actor: str, at: datetime) -> LogEntry:
    return LogEntry(
        kind="write",
        actor=actor,
        operation=operation,
        target=Target("dataverse", "account", record),
        details={"mapping": mapping, "erp_id": f"erp-{record}"},
        result=Outcome(ResultStatus.OK),
        at=at,
    )


async def found(http: httpx.AsyncClient, **variables: object) -> list[tuple[str, str, str]]:
    result = await data(http, QUERY, **variables)
    return [
        (e["node"]["operation"], e["node"]["actor"], e["node"]["target"]["id"])
        for e in result["integrationLog"]["edges"]
    ]


async def test_the_log_is_searched_by_operation_mapping_actor_time_and_record(
    services: Services, http: httpx.AsyncClient
) -> None:
    await services.integration_log.append_many(
        [
            entry("create", "CUSTOMER", "a1", actor="scheduler", at=T0),
            entry("update", "CUSTOMER", "a1", actor="ops", at=T0 + timedelta(hours=1)),
            entry("update", "CONTACT", "c7", actor="scheduler", at=T0 + timedelta(hours=2)),
        ]
    )

    assert await found(http, operation="update") == [
        ("update", "scheduler", "c7"),
        ("update", "ops", "a1"),
    ]
    assert await found(http, mapping="customer") == [
        ("update", "ops", "a1"),
        ("create", "scheduler", "a1"),
    ]
    assert await found(http, actor="scheduler", until=(T0 + timedelta(hours=1)).isoformat()) == [
        ("create", "scheduler", "a1")
    ]
    history = [("update", "ops", "a1"), ("create", "scheduler", "a1")]
    assert await found(http, recordId="a1") == history
    assert await found(http, recordId="erp-a1") == history  # by the other side's id too
    assert await found(http, since=(T0 + timedelta(hours=3)).isoformat()) == []


async def test_a_time_range_that_ends_before_it_starts_is_refused(
    http: httpx.AsyncClient,
) -> None:
    body = await gql(http, QUERY, since=T0.isoformat(), until=T0.isoformat())
    [error] = body["errors"]
    assert error["extensions"]["code"] == "INVALID_INPUT"
    assert error["extensions"]["field"] == ["until"]
