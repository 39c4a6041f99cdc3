"""GraphQL calls of the lifecycle tests: one mutation with its input as a variable, and the
fields every lifecycle payload answers."""

from __future__ import annotations

from typing import Any

import httpx

from tests.api.support import data

DOC = "system entity id number state"
INSTANCE = (
    "workflowInstance { id status operation generation created steps { name status attempts } }"
)
ERRORS = "userErrors { code message field }"

FIELDS = {
    "quote": f"crmQuote {{ {DOC} }} erpQuote {{ {DOC} }}",
    "project": (
        f"crmQuote {{ {DOC} }} erpQuote {{ {DOC} }} erpProject {{ {DOC} }} crmProject {{ {DOC} }}"
    ),
    "order": f"crmOrder {{ {DOC} }} erpOrder {{ {DOC} }}",
    "invoice": f"erpInvoice {{ {DOC} }} crmInvoice {{ {DOC} }} crmOrder {{ {DOC} }}",
}
KINDS = {
    "transferQuoteToProject": "project",
    "createSalesOrderInErp": "order",
    "createInvoiceInCrm": "invoice",
}


async def mutate(client: httpx.AsyncClient, name: str, **input: Any) -> dict[str, Any]:
    """Run lifecycle mutation `name` with `input`; its payload."""
    fields = FIELDS[KINDS.get(name, "quote")]
    input_type = name[0].upper() + name[1:] + "Input"
    query = f"""mutation ($input: {input_type}!) {{
        {name}(input: $input) {{ {fields} {INSTANCE} {ERRORS} }}
    }}"""
    payload: dict[str, Any] = (await data(client, query, input=input))[name]
    return payload


async def ok(client: httpx.AsyncClient, name: str, **input: Any) -> dict[str, Any]:
    """A lifecycle mutation that must succeed."""
    payload = await mutate(client, name, **input)
    assert payload["userErrors"] == [], payload["userErrors"]
    assert payload["workflowInstance"]["status"] == "SUCCEEDED", payload["workflowInstance"]
    return payload
