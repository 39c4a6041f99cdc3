"""Lifecycle refusals on the sandbox's demo data speak a person's language: the record at
fault by its name (never a column name or a raw id), the mapping to couple it in, and a field
path the mutation's input really has."""

from __future__ import annotations

from adapters.base import Page
from adapters.filters import eq
from gateway.refusals import RefusalError
from gateway.services import open_services
from gateway.settings import Settings
from gateway.workflows.engine import Engine
from gateway.workflows.registry import DEFINITIONS
from schema.errors import user_errors
from tests.support_sandbox import SandboxHandle
from tests.workflows.support import Systems, writes
from tests.workflows.tenant import Tenant


async def refused(tenant: Tenant, operation: str, **data: str) -> RefusalError:
    outcome = await Engine(tenant.services, actor="test").start(DEFINITIONS[operation], data)
    assert outcome.refusal is not None
    assert outcome.instance is None
    return outcome.refusal


def plain(message: str) -> None:
    for jargon in ("_value", "a ERP", "an CRM"):
        assert jargon not in message, message


async def test_an_uncoupled_account_and_product_are_named(
    tenant: Tenant, sandbox: SandboxHandle
) -> None:
    quotes = (await tenant.crm.query("quote", eq("statuscode", 1), Page(size=500))).records
    accounts = await tenant.crm.get_many(
        "account", [str(q.values["_customerid_value"]) for q in quotes]
    )
    coupled = await tenant.services.couplings.ids_coupled("CUSTOMER", "crm", list(accounts))
    quote = next(
        q
        for q in quotes
        if q.values["_customerid_value"] in accounts
        and q.values["_customerid_value"] not in coupled
    )
    account = accounts[str(quote.values["_customerid_value"])]
    await sandbox.reset_stats()
    refusal = await refused(tenant, "submitQuote", crmQuoteId=quote.id)
    assert refusal.code == "DEPENDENCY_NOT_COUPLED"
    assert refusal.message == (
        f"the quote's account, {account.values['name']}, is not coupled to an ERP customer: "
        "couple it in CUSTOMER first"
    )
    assert refusal.field == ("crmQuoteId",)
    assert writes(await sandbox.stats()) == 0

    draft = (await tenant.draft_quotes())[0]
    [line, *_] = await tenant.quote_lines(draft.id)
    product_id = str(line.values["_productid_value"])
    product = (await tenant.crm.get_many("product", [product_id]))[product_id]
    await tenant.services.couplings.uncouple("ITEM-PRODUCT", crm_id=product_id)
    refusal = await refused(tenant, "submitQuote", crmQuoteId=draft.id)
    assert refusal.code == "DEPENDENCY_NOT_COUPLED"
    assert f"the CRM product {product.values['name']} is not coupled" in refusal.message
    assert "couple it in ITEM-PRODUCT or RESOURCE-PRODUCT first" in refusal.message
    plain(refusal.message)
    assert product_id not in refusal.message


async def test_a_write_in_line_without_a_write_in_item_points_at_the_quote(
    tenant: Tenant, lifecycle_settings: Settings, check: Systems
) -> None:
    draft = (await tenant.draft_quotes())[0]
    lines = await tenant.quote_lines(draft.id)
    response = await check.dataverse.post(
        "quotedetails",
        json={
            "quoteid@odata.bind": f"/quotes({draft.id})",
            "isproductoverridden": True,
            "productdescription": "Site survey",
            "quantity": 1,
            "priceperunit": 400,
            "lineitemnumber": len(lines) + 1,
        },
    )
    assert response.status_code == 204, response.text
    without = lifecycle_settings.model_copy(update={"write_in_product_number": None})
    async with open_services(without, wait_for_store=True) as services:
        outcome = await Engine(services, actor="test").start(
            DEFINITIONS["submitQuote"], {"crmQuoteId": draft.id}
        )
    assert outcome.refusal is not None
    [error] = user_errors(outcome.refusal)
    assert (error.code, error.field) == ("INVALID_INPUT", ["input", "crmQuoteId"])
    assert error.message.startswith(f"line {len(lines) + 1} is a write-in product: set ")
