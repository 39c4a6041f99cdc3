"""Refusals as a client reads them, through `schema.execute` in this process: every code a
service can refuse with is one of the API's `UserErrorCode`s, and reaches the client as itself
with the input field at fault, from the synchronization, coupling and lifecycle mutations."""

from __future__ import annotations

from typing import Any

import pytest

from adapters.base import Side
from adapters.memory import MemoryConnector
from gateway.auth.roles import Caller, Role
from gateway.mappings.defaults import business_central_defaults
from gateway.refusals import RefusalCode
from gateway.services import Services
from schema import build_schema
from schema.context import Context

MISSING = "00000000-0000-4000-8000-0000000000aa"


@pytest.fixture
async def memory(services: Services) -> Services:
    services.erp = MemoryConnector("business_central", Side.ERP)
    services.crm = MemoryConnector("dataverse", Side.CRM)
    for entity in ("customer", "salesperson", "currency", "quote"):
        services.erp.seed(entity, [])
    for entity in ("account", "user", "currency", "quote"):
        services.crm.seed(entity, [])
    await services.mappings.ensure_defaults(business_central_defaults())
    return services


async def errors_of(services: Services, query: str, **variables: Any) -> list[dict[str, Any]]:
    schema = build_schema(services.settings)
    caller = Caller(key_id="k", name="integrator", role=Role.INTEGRATOR)
    context = Context(request=None, response=None, services=services, caller=caller)  # type: ignore[arg-type]
    result = await schema.execute(query, variable_values=variables, context_value=context)
    assert result.errors is None, result.errors
    assert result.data is not None
    [payload] = result.data.values()
    errors: list[dict[str, Any]] = payload["userErrors"]
    return errors


def test_every_refusal_code_is_a_user_error_code(services: Services) -> None:
    sdl = build_schema(services.settings).as_str()
    declared = sdl.split("enum UserErrorCode {", 1)[1].split("}", 1)[0].split()
    assert sorted(declared) == sorted(code.value for code in RefusalCode)


@pytest.mark.parametrize(
    ("query", "variables", "expected"),
    [
        (
            "mutation ($input: SynchronizeNowInput!) { synchronizeNow(input: $input) "
            "{ userErrors { code field } } }",
            {"input": {"mapping": "NOPE", "erpId": MISSING, "direction": "TO_CRM"}},
            {"code": "NOT_FOUND", "field": ["input", "mapping"]},
        ),
        (
            "mutation ($input: SynchronizeNowInput!) { synchronizeNow(input: $input) "
            "{ userErrors { code field } } }",
            {"input": {"mapping": "CUSTOMER", "erpId": MISSING, "direction": "TO_CRM"}},
            {"code": "NOT_COUPLED", "field": ["input", "erpId"]},
        ),
        (
            "mutation ($input: CreateAccountFromCustomerInput!) { createAccountFromCustomer("
            "input: $input) { userErrors { code field } } }",
            {"input": {"erpId": MISSING}},
            {"code": "NOT_FOUND", "field": ["input", "erpId"]},
        ),
        (
            "mutation ($input: SubmitQuoteInput!) { submitQuote(input: $input) "
            "{ userErrors { code field } } }",
            {"input": {"erpQuoteId": MISSING}},
            {"code": "NOT_COUPLED", "field": ["input", "erpQuoteId"]},
        ),
        (
            "mutation ($input: SubmitQuoteInput!) { submitQuote(input: $input) "
            "{ userErrors { code field } } }",
            {"input": {"crmQuoteId": MISSING}},
            {"code": "NOT_FOUND", "field": ["input", "crmQuoteId"]},
        ),
    ],
)
async def test_a_refusal_reaches_the_client_as_itself(
    memory: Services, query: str, variables: dict[str, Any], expected: dict[str, Any]
) -> None:
    assert await errors_of(memory, query, **variables) == [expected]
