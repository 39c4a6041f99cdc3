"""Business Central API v2.0: companies, create/update/delete, mandatory If-Match, number
series, references by id or number, bad input."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from tests.support_sandbox import SandboxHandle


async def post(bc: httpx.AsyncClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await bc.post(path, json=body)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def test_companies_list_the_default_company(
    bc: httpx.AsyncClient, sandbox: SandboxHandle
) -> None:
    response = await bc.get(f"{sandbox.bc_api}companies")
    assert response.status_code == 200
    [company] = response.json()["value"]
    assert company["id"] == sandbox.company_id
    assert company["name"] == company["displayName"]
    missing = await bc.get(f"{sandbox.bc_api}companies({uuid.uuid4()})/customers")
    assert missing.status_code == 404


async def test_create_numbers_records_from_series(bc: httpx.AsyncClient) -> None:
    first = await post(bc, "customers", {"displayName": "Adatum Corporation"})
    second = await post(bc, "customers", {"displayName": "Trey Research", "number": "C-OWN"})
    third = await post(bc, "customers", {"displayName": "Alpine Ski House"})
    assert (first["number"], second["number"], third["number"]) == ("C00010", "C-OWN", "C00020")
    assert first["@odata.etag"].startswith('W/"')
    assert first["lastModifiedDateTime"].endswith("Z")
    assert first["balanceDue"] == 0.0
    assert first["type"] == "Company"


async def test_patch_and_delete_require_if_match(bc: httpx.AsyncClient) -> None:
    customer = await post(bc, "customers", {"displayName": "Concurrency Inc."})
    key = f"customers({customer['id']})"
    missing = await bc.patch(key, json={"phoneNumber": "555"})
    assert missing.status_code == 400
    error = missing.json()["error"]
    assert error["code"] == "BadRequest_InvalidToken"
    assert error["message"].startswith("Could not validate the client concurrency token")
    assert (await bc.delete(key)).status_code == 400
    updated = await bc.patch(
        key, json={"phoneNumber": "555-0100"}, headers={"If-Match": customer["@odata.etag"]}
    )
    assert updated.status_code == 200
    assert updated.json()["phoneNumber"] == "555-0100"
    assert updated.json()["@odata.etag"] != customer["@odata.etag"]
    assert updated.json()["lastModifiedDateTime"] > customer["lastModifiedDateTime"]
    stale = await bc.patch(
        key, json={"phoneNumber": "556"}, headers={"If-Match": customer["@odata.etag"]}
    )
    assert stale.status_code == 412
    assert stale.json()["error"]["code"] == "Request_EntityChanged"
    assert (await bc.get(key)).json()["phoneNumber"] == "555-0100"
    assert (
        await bc.patch(key, json={"website": "x.example"}, headers={"If-Match": "*"})
    ).status_code == 200
    assert (await bc.delete(key, headers={"If-Match": "*"})).status_code == 204
    assert (await bc.get(key)).status_code == 404


async def test_references_resolve_by_number_and_must_exist(bc: httpx.AsyncClient) -> None:
    await post(bc, "salespeople", {"code": "JS", "displayName": "Jennifer Smith"})
    customer = await post(
        bc, "customers", {"displayName": "Fabrikam", "salespersonCode": "JS", "currencyCode": "EUR"}
    )
    assert customer["currencyId"] is not None
    bad = await bc.post("customers", json={"displayName": "Nobody", "salespersonCode": "ZZ"})
    assert bad.status_code == 400
    assert "Salesperson" in bad.json()["error"]["message"]
    item = await post(
        bc,
        "items",
        {
            "displayName": "Bicycle",
            "unitPrice": 100,
            "baseUnitOfMeasureCode": "PCS",
            "taxGroupCode": "TAXABLE",
        },
    )
    quote = await post(
        bc,
        "salesQuotes",
        {"customerNumber": customer["number"], "externalDocumentNumber": "CRM-Q-1"},
    )
    assert quote["customerId"] == customer["id"]
    assert quote["customerName"] == "Fabrikam"
    assert quote["salesperson"] == "JS"
    assert quote["number"] == "S-QUO1001"
    assert quote["status"] == "Draft"
    assert quote["approvalStatus"] == "Open"
    line = await post(
        bc,
        f"salesQuotes({quote['id']})/salesQuoteLines",
        {"lineObjectNumber": item["number"], "quantity": 3},
    )
    assert line["itemId"] == item["id"]
    assert line["description"] == "Bicycle"
    assert line["amountExcludingTax"] == 300.0
    assert line["totalTaxAmount"] == 30.0
    totals = (await bc.get(f"salesQuotes({quote['id']})")).json()
    assert (totals["totalAmountExcludingTax"], totals["totalAmountIncludingTax"]) == (300.0, 330.0)
    no_customer = await bc.post("salesQuotes", json={"externalDocumentNumber": "x"})
    assert no_customer.status_code == 400
    assert no_customer.json()["error"]["message"].startswith("A customerNumber or a customerID")
    unknown = await bc.post("salesQuotes", json={"customerNumber": "C99999"})
    assert unknown.status_code == 400
    assert "C99999" in unknown.json()["error"]["message"]


async def test_bad_bodies_are_rejected_before_writing(bc: httpx.AsyncClient) -> None:
    cases = [
        ({"displayName": "A", "creditLimit": "a lot"}, "creditLimit"),
        ({"displayName": "A", "nosuch": 1}, "nosuch"),
        ({"displayName": "A", "balanceDue": 5}, "balanceDue"),
        ({"displayName": "A", "blocked": "Sometimes"}, "blocked"),
        ({"number": "C-NONAME"}, "displayName"),
    ]
    for body, field in cases:
        response = await bc.post("customers", json=body)
        assert response.status_code == 400, (body, response.text)
        assert field in response.json()["error"]["message"]
    assert (await bc.get("customers")).json()["value"] == []


async def test_unknown_entity_set_and_property(bc: httpx.AsyncClient) -> None:
    response = await bc.get("customer")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "BadRequest_ResourceNotFound"
    bad = await bc.get("customers", params={"$select": "nosuch"})
    assert bad.status_code == 400
    assert "Microsoft.NAV.customer" in bad.json()["error"]["message"]
    bad_filter = await bc.get("customers", params={"$filter": "number eq"})
    assert bad_filter.status_code == 400


async def test_salespeople_alias_and_unique_codes(bc: httpx.AsyncClient) -> None:
    await post(bc, "salespeople", {"code": "PS", "displayName": "Peter Saddow"})
    alias = await bc.get("salespersonPurchasers", params={"$filter": "code eq 'PS'"})
    assert [row["displayName"] for row in alias.json()["value"]] == ["Peter Saddow"]
    duplicate = await bc.post("salespeople", json={"code": "PS"})
    assert duplicate.status_code == 400


async def test_reference_data_exists_after_reset(bc: httpx.AsyncClient) -> None:
    currencies = {row["code"] for row in (await bc.get("currencies")).json()["value"]}
    units = {row["code"] for row in (await bc.get("unitsOfMeasure")).json()["value"]}
    groups = {row["code"] for row in (await bc.get("customerPriceGroups")).json()["value"]}
    assert {"EUR", "GBP"} <= currencies
    assert {"PCS", "HOUR"} <= units
    assert "RETAIL" in groups
