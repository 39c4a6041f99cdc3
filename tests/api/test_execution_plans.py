"""Execution plans change nothing a client can see: every query of the API's pages, the bench's
pages, failures and bubbling nulls, fragments, aliases and variables answers the very same
bytes from a gateway that follows plans and one that runs graphql-core's executor alone, both
over the seeded sandbox; and the accounts page does follow its plan."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import orjson
import pytest
import strawberry

from bench.account_360_baseline import PAGE_QUERY as BENCH_ACCOUNT_360
from bench.page_baseline import PAGE_QUERY as BENCH_STATISTICS_PAGE
from gateway.app import create_app
from gateway.asgi_server import running_server
from gateway.services import Services
from gateway.settings import Settings
from gateway.store.integration_log import COLLECTION as LOG_COLLECTION
from gateway.store.integration_log import LogEntry, Outcome, ResultStatus, Target
from gateway.store.sync_runs import Counters, RunStatus, SyncRun
from schema import build_schema
from schema.execution import ExecutionPlans
from schema.execution.plan import CallStep, FieldStep, LeafStep, ObjectPlan, Plan
from tests.api.support import couple_customers_by_number, couple_salespeople_by_email
from tests.api.test_accounts_page import PAGE as ACCOUNTS_PAGE
from tests.api.test_customers_and_couplings import COUPLINGS, CUSTOMERS
from tests.api.test_documents_page import ACCOUNT_360
from tests.api.test_integration_log import QUERY as INTEGRATION_LOG_SEARCH
from tests.conftest import TEST_API_KEY
from tests.support import poll_readiness
from tests.support_sandbox import SandboxHandle

ACCOUNTS_LISTING = """
query Listing($first: Int!, $after: String, $search: String, $coupled: Boolean) {
  accounts(first: $first, after: $after, search: $search, coupled: $coupled) {
    pageInfo { hasNextPage endCursor }
    edges { cursor node { id crmId name accountNumber email city coupled
                          owner { fullName email } coupling { id mapping state erpKey } } }
  }
}
"""
TABLE_MAPPINGS = """
{ tableMappings { name erpEntity crmEntity otherSystem direction syncOnlyCoupled dependsOn
                  conflictPolicy deletionPolicy enabled coupledThrough problems
                  fields { erpField crmField direction } } }
"""
SYNC_RUNS = """
query Runs($mapping: String, $first: Int) {
  syncRuns(mapping: $mapping, first: $first) {
    pageInfo { hasNextPage endCursor }
    edges { cursor node {
      id mapping mappings direction trigger actor status createdAt startedAt endedAt progress
      inserted modified deleted unchanged skipped failed coupled uncoupled message
      checkpoint { stage stages mapping side pages }
      mappingResults { mapping inserted modified failed coupled }
    } }
  }
}
"""
INTEGRATION_LOG = """
{ integrationLog(first: 20) { pageInfo { hasNextPage } edges { cursor node {
    id at kind actor operation target { system entity id }
    result { status codes message } durationMs details } } } }
"""
# Fragments (named, inline, nested), aliases of one field twice, merged selections,
# __typename, variables in nested arguments and a default value.
FRAGMENTS = """
query Mixed($first: Int!, $coupled: Boolean = true) {
  top: accounts(first: $first, coupled: $coupled) { ...Rows }
  again: accounts(first: 3) {
    edges { node { __typename name n2: name crmId ... on Account { name city } } }
  }
  viewer { __typename name role }
}
fragment Rows on AccountConnection {
  __typename
  pageInfo { hasNextPage }
  edges { cursor node { ...Names owner { email } ...Owner customer { ...Customer } } }
}
fragment Names on Account { crmId name accountNumber }
fragment Owner on Account { owner { fullName } }
fragment Customer on Customer { erpId number statistics { balance } }
"""
# Left to graphql-core entirely (a directive), and an abstract type below the root.
DIRECTIVES = """
query ($first: Int!, $withOwner: Boolean!) {
  accounts(first: $first) { edges { node { name owner @include(if: $withOwner) { email } } } }
}
"""
NODE_FIELDS = "__typename id ... on Account { name customer { number } } ... on Coupling { state }"
NODES = f"""
query ($account: ID!, $coupling: ID!) {{
  account: node(id: $account) {{ {NODE_FIELDS} }}
  coupling: node(id: $coupling) {{ {NODE_FIELDS} }}
}}
"""
# A field error: an id that is not one of the ERP's, refused in the root field.
FIELD_ERROR = (
    '{ customer(erpId: "12") { name } ok: accounts(first: 2) { edges { node { name } } } }'
)


ERROR_ID = re.compile(rb'"errorId":"[0-9a-f]{32}"')


@dataclass
class Gateways:
    planned: httpx.AsyncClient
    standard: httpx.AsyncClient
    plans: ExecutionPlans

    async def answers(self, query: str, **variables: Any) -> tuple[bytes, bytes]:
        """The bytes of both gateways' answers to one request (each with status 200)."""
        body = {"query": query, "variables": variables}
        planned = await self.planned.post("/graphql", json=body)
        standard = await self.standard.post("/graphql", json=body)
        assert planned.status_code == standard.status_code == 200, standard.text
        return same_incidents(planned.content), same_incidents(standard.content)


def same_incidents(body: bytes) -> bytes:
    """The answer with each internal error's `errorId` (random, to find it in the log) as one
    placeholder: the rest of the error must be the same."""
    return ERROR_ID.sub(b'"errorId":"<id>"', body)


def sorted_errors(answer: dict[str, Any]) -> list[bytes]:
    return sorted(orjson.dumps(error) for error in answer.get("errors") or ())


def planned_schema(settings: Settings, *, plans: bool) -> strawberry.Schema:
    return build_schema(settings.model_copy(update={"graphql_execution_plans": plans}))


@pytest.fixture
async def gateways(api_settings: Settings, store: Services) -> AsyncIterator[Gateways]:
    with_plans = planned_schema(api_settings, plans=True)
    without = planned_schema(api_settings, plans=False)
    assert without.execution_context_class is None or not hasattr(
        without.execution_context_class, "plans"
    )
    headers = {"Authorization": f"Bearer {TEST_API_KEY}"}
    async with (
        running_server(create_app(api_settings, schema=with_plans)) as planned_url,
        running_server(create_app(api_settings, schema=without)) as standard_url,
    ):
        await poll_readiness(planned_url)
        await poll_readiness(standard_url)
        async with (
            httpx.AsyncClient(base_url=planned_url, headers=headers, timeout=120) as planned,
            httpx.AsyncClient(base_url=standard_url, headers=headers, timeout=120) as standard,
        ):
            yield Gateways(planned, standard, with_plans.execution_context_class.plans)  # type: ignore[union-attr]


@pytest.fixture
async def tenant(sandbox: SandboxHandle, store: Services) -> Services:
    """The sandbox's demo tenant (accounts with owners, customers in several currencies,
    quotes, invoices, projects), coupled by number and e-mail, with runs and log entries."""
    await sandbox.seed(accounts=60, quotes=150, invoices=150, projects=50)
    await couple_customers_by_number(store)
    await couple_salespeople_by_email(store)
    finished = SyncRun(
        "CUSTOMER",
        "BIDIRECTIONAL",
        "full_synchronization",
        "integrator",
        status=RunStatus.SUCCEEDED,
        mappings=["CURRENCY", "SALESPEOPLE", "CUSTOMER"],
        counters=Counters(inserted=12, modified=3, coupled=12),
        progress=1.0,
        checkpoint={
            "stage": 1,
            "stages": [
                {"mapping": "SALESPEOPLE", "side": "erp"},
                {"mapping": "CUSTOMER", "side": "erp"},
            ],
            "pages": 2,
        },
        started_at=datetime(2026, 11, 2, 8, tzinfo=UTC),
        ended_at=datetime(2026, 11, 2, 8, 5, tzinfo=UTC),
        by_mapping={"CUSTOMER": Counters(inserted=12, coupled=12)},
    )
    await store.runs.create(finished)
    await store.runs.create(SyncRun("CONTACT", "TO_CRM", "scheduled", "scheduler"))
    for index, status in enumerate((ResultStatus.OK, ResultStatus.ERROR, ResultStatus.STARTED)):
        await store.integration_log.append(
            LogEntry(
                kind="write",
                actor="sync",
                operation="update",
                target=Target("dataverse", "account", f"record-{index}"),
                details={"mapping": "CUSTOMER", "changed": ["name"], "count": index},
                result=Outcome(status, ("UPSTREAM_UNAVAILABLE",) if index == 1 else ()),
                duration_ms=12.5 * index if index else None,
            )
        )
    return store


CORPUS: list[tuple[str, str, dict[str, Any]]] = [
    ("accounts page with statistics", ACCOUNTS_PAGE, {"first": 50}),
    ("accounts page with statistics, second page", ACCOUNTS_PAGE, {"first": 25, "after": None}),
    ("statistics page of the bench", BENCH_STATISTICS_PAGE, {"first": 60}),
    ("accounts without statistics", ACCOUNTS_LISTING, {"first": 60}),
    ("uncoupled accounts", ACCOUNTS_LISTING, {"first": 20, "coupled": False}),
    ("customers", CUSTOMERS, {"first": 40}),
    ("couplings", COUPLINGS, {"mapping": "CUSTOMER", "first": 30}),
    ("table mappings", TABLE_MAPPINGS, {}),
    ("sync runs", SYNC_RUNS, {"first": 10}),
    ("integration log", INTEGRATION_LOG, {}),
    ("integration log searched", INTEGRATION_LOG_SEARCH, {"mapping": "CUSTOMER"}),
    ("account 360 page", ACCOUNT_360, {"first": 30}),
    ("account 360 page of the bench", BENCH_ACCOUNT_360, {"first": 30}),
    ("fragments, aliases and variables", FRAGMENTS, {"first": 15}),
    ("a directive", DIRECTIVES, {"first": 5, "withOwner": False}),
    ("a field error", FIELD_ERROR, {}),
]


async def test_every_query_answers_the_same_bytes_with_plans_and_without(
    tenant: Services, gateways: Gateways
) -> None:
    for name, query, variables in CORPUS:
        planned, standard = await gateways.answers(query, **variables)
        assert planned == standard, name
        assert b'"data"' in planned, name
    # Not trivially equal: the pages are full, and the failure is one.
    planned, _ = await gateways.answers(ACCOUNTS_PAGE, first=50)
    assert planned.count(b'"statistics":{"balance"') > 10
    planned, _ = await gateways.answers(FIELD_ERROR)
    assert b'"errors"' in planned
    assert b'"path":["customer"]' in planned
    assert gateways.plans.planned >= len(CORPUS) - 2


async def test_nodes_of_abstract_types_answer_the_same(
    tenant: Services, gateways: Gateways
) -> None:
    listing = await gateways.planned.post(
        "/graphql", json={"query": ACCOUNTS_LISTING, "variables": {"first": 10, "coupled": True}}
    )
    node = listing.json()["data"]["accounts"]["edges"][0]["node"]
    planned, standard = await gateways.answers(
        NODES, account=node["id"], coupling=node["coupling"]["id"]
    )
    assert planned == standard
    assert b'"__typename":"Account"' in planned
    assert b'"state":"COUPLED"' in planned


async def test_a_system_that_fails_mid_page_fails_the_same_fields(
    tenant: Services, sandbox: SandboxHandle, gateways: Gateways
) -> None:
    await gateways.answers(ACCOUNTS_PAGE, first=30)  # tokens and the company id read before
    await sandbox.set_faults(error_rate=1.0, error_status=503, apis=["bc"])
    try:
        planned, standard = await gateways.answers(ACCOUNTS_PAGE, first=30)
        documents = await gateways.answers(ACCOUNT_360, first=10)
    finally:
        await sandbox.clear_faults()
    assert planned == standard
    assert b'"errors"' in planned
    assert b'"statistics"' in planned
    # A failed hop's error is added when the hop fails, and the hops run concurrently: their
    # order follows the backend's answers, with either executor. The rest is the same.
    planned_documents, standard_documents = (orjson.loads(body) for body in documents)
    assert planned_documents["data"] == standard_documents["data"]
    assert sorted_errors(planned_documents) == sorted_errors(standard_documents)
    assert planned_documents["errors"]


async def test_a_null_in_a_non_null_field_bubbles_up_alike(
    tenant: Services, gateways: Gateways
) -> None:
    # An entry written without an actor (by an older version, or by hand): `actor` is `String!`,
    # so the null goes up through the entry, its edge and the list to the connection.
    await tenant.db[LOG_COLLECTION].insert_one(
        {
            "at": datetime.now(UTC),
            "kind": "write",
            "actor": None,
            "operation": "update",
            "result": {"status": "ok"},
        }
    )
    planned, standard = await gateways.answers(INTEGRATION_LOG)
    assert planned == standard
    assert b'"data":null' in planned
    assert b"Cannot return null for non-nullable field IntegrationLogEntry.actor." in planned
    assert b'"path":["integrationLog","edges",0,"node","actor"]' in planned


def steps_of(plan: ObjectPlan | Plan) -> dict[str, type]:
    steps = plan.root if isinstance(plan, Plan) else plan.steps
    return {step.key: type(step) for step in steps}


def object_plan(plan: Plan, step: LeafStep | CallStep | FieldStep) -> ObjectPlan:
    found = plan.objects.get(id(step.field_details))
    assert found is not None, step.key
    return found


async def test_the_accounts_page_follows_its_plan(tenant: Services, gateways: Gateways) -> None:
    plans = gateways.plans
    before = (plans.planned, plans.standard)
    planned, standard = await gateways.answers(BENCH_STATISTICS_PAGE, first=60)
    assert planned == standard
    assert (plans.planned, plans.standard) == (before[0] + 1, before[1])

    # The plan reads the rows' plain fields in place rather than leaving them to graphql-core.
    plan = plans.cached(BENCH_STATISTICS_PAGE, "StatisticsPage")
    assert plan is not None
    [accounts] = plan.root
    connection = object_plan(plan, accounts)
    edges = next(step for step in connection.steps if step.key == "edges")
    node = next(step for step in object_plan(plan, edges).steps if step.key == "node")
    row = object_plan(plan, node)
    kinds = steps_of(row)
    assert kinds["crmId"] is LeafStep
    assert kinds["name"] is LeafStep
    assert kinds["accountNumber"] is LeafStep
    assert kinds["customer"] is not LeafStep
    customer = next(step for step in row.steps if step.key == "customer")
    assert steps_of(object_plan(plan, customer))["number"] is LeafStep

    # A query with a directive runs as graphql-core runs it.
    await gateways.answers(DIRECTIVES, first=2, withOwner=True)
    assert plans.standard == before[1] + 1
