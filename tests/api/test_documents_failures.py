"""A system that does not answer: its side of the documents is null, the other system's side
still comes back, and one UPSTREAM_UNAVAILABLE error per hop names the system."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from gateway.services import Services
from gateway.settings import Settings
from tests.api.lifecycle_support import ok
from tests.api.support import data, gql
from tests.support_sandbox import SandboxHandle
from tests.workflows.support import WRITE_IN_NUMBER, World, build_world

DOCUMENTS = """
  quotes { edges { node { crmId erpId number crmState erpState state totalAmount
                          lines { quantity system } } } }
  invoices { edges { node { crmId erpId number paymentStatus } } }
  projects { edges { node { crmId erpId name } } }
"""
BY_ACCOUNT = "query ($id: ID!) { account(crmId: $id) { name " + DOCUMENTS + " } }"
BY_CUSTOMER = "query ($id: ID!) { customer(erpId: $id) { name " + DOCUMENTS + " } }"


@pytest.fixture
def api_settings(connected_settings: Settings) -> Settings:
    return connected_settings.model_copy(
        update={
            "write_in_product_number": WRITE_IN_NUMBER,
            "connector_max_attempts": 1,
            "api_rate_limit": 0,
        }
    )


@pytest.fixture
async def world(store: Services) -> World:
    return await build_world(store)


async def arrange(api: httpx.AsyncClient, world: World) -> dict[str, str]:
    """A quote in both systems, one in the CRM only, one in the ERP only."""
    both = await world.quote("In both systems", lines=2)
    erp_id = (await ok(api, "submitQuote", crmQuoteId=both.id))["erpQuote"]["id"]
    crm_only = await world.quote("In the CRM only", lines=1)
    erp_only = await world.erp.create(
        "quote", {"customerId": world.customer.id, "externalDocumentNumber": "ERP only"}
    )
    return {"both": both.id, "erp": erp_id, "crm only": crm_only.id, "erp only": erp_only.id}


async def while_down(
    sandbox: SandboxHandle, api: httpx.AsyncClient, system: str, query: str, **variables: Any
) -> dict[str, Any]:
    await data(api, query, **variables)  # tokens and the company id are read before
    await sandbox.set_faults(error_rate=1.0, error_status=503, apis=[system])
    try:
        return await gql(api, query, **variables)
    finally:
        await sandbox.clear_faults()


def nodes(connection: dict[str, Any]) -> list[dict[str, Any]]:
    return [edge["node"] for edge in connection["edges"]]


def one_error_per_hop(body: dict[str, Any], system: str) -> list[str]:
    errors = body["errors"]
    assert {error["extensions"]["code"] for error in errors} == {"UPSTREAM_UNAVAILABLE"}
    assert {error["extensions"]["system"] for error in errors} == {system}
    messages = [error["message"] for error in errors]
    assert len(messages) == len(set(messages)), messages
    return messages


async def test_with_the_erp_down_the_crm_side_of_the_documents_still_answers(
    sandbox: SandboxHandle, api: httpx.AsyncClient, world: World
) -> None:
    ids = await arrange(api, world)

    body = await while_down(sandbox, api, "bc", BY_ACCOUNT, id=world.account.id)

    account = body["data"]["account"]
    assert account["name"] == "Fabrikam Projects"
    quotes = {node["crmId"]: node for node in nodes(account["quotes"])}
    assert set(quotes) == {ids["both"], ids["crm only"]}  # the ERP's own quote is not known
    both = quotes[ids["both"]]
    # Its ERP id is known from the coupling; what the ERP says of it is not.
    assert (both["erpId"], both["crmState"], both["erpState"]) == (ids["erp"], "Submitted", None)
    assert both["state"] == "SUBMITTED"
    assert [line["system"] for line in both["lines"]] == ["dataverse", "dataverse"]
    assert both["totalAmount"] is not None  # the CRM's total stands in for the ERP's
    assert quotes[ids["crm only"]]["erpState"] == "absent"
    messages = one_error_per_hop(body, "business_central")
    assert any("the quotes are missing" in message for message in messages)
    assert all("Business Central (ERP)" in message for message in messages)


async def test_with_the_crm_down_the_erp_side_of_the_documents_still_answers(
    sandbox: SandboxHandle, api: httpx.AsyncClient, world: World
) -> None:
    ids = await arrange(api, world)

    body = await while_down(sandbox, api, "dataverse", BY_CUSTOMER, id=world.customer.id)

    customer = body["data"]["customer"]
    assert customer["name"] == "Fabrikam Projects"
    quotes = {node["erpId"]: node for node in nodes(customer["quotes"])}
    assert set(quotes) == {ids["erp"], ids["erp only"]}  # the CRM's own quote is not known
    both = quotes[ids["erp"]]
    assert (both["crmId"], both["crmState"], both["erpState"]) == (ids["both"], None, "Open")
    assert [line["system"] for line in both["lines"]] == ["business_central"] * 2
    assert quotes[ids["erp only"]]["crmState"] == "absent"
    messages = one_error_per_hop(body, "dataverse")
    assert any("the quotes are missing" in message for message in messages)
