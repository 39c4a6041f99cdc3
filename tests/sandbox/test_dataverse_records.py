"""Dataverse Web API: create, retrieve, update, upsert, delete, ETags, binds, bad input."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from sandbox.reference import CALLER_ID, USD_ID

RETURN = {"Prefer": "return=representation"}


async def create(
    dataverse: httpx.AsyncClient, entity_set: str, body: dict[str, Any]
) -> dict[str, Any]:
    response = await dataverse.post(entity_set, json=body, headers=RETURN)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def count(dataverse: httpx.AsyncClient, entity_set: str) -> int:
    response = await dataverse.get(f"{entity_set}/$count")
    assert response.status_code == 200
    return int(response.text)


async def test_create_answers_204_with_the_entity_id(dataverse: httpx.AsyncClient) -> None:
    response = await dataverse.post("accounts", json={"name": "Fourth Coffee"})
    assert response.status_code == 204
    entity_id = response.headers["OData-EntityId"]
    assert entity_id.startswith(str(dataverse.base_url) + "accounts(")
    account_id = entity_id.rsplit("(", 1)[1].rstrip(")")
    fetched = (await dataverse.get(f"accounts({account_id})")).json()
    assert fetched["name"] == "Fourth Coffee"
    assert fetched["accountid"] == account_id
    assert fetched["statecode"] == 0
    assert fetched["statuscode"] == 1
    assert fetched["_ownerid_value"] == CALLER_ID  # records belong to the caller by default
    assert fetched["@odata.etag"] == f'W/"{fetched["versionnumber"]}"'
    assert fetched["createdon"] == fetched["modifiedon"]
    assert fetched["createdon"].endswith("Z")


async def test_create_with_representation_honours_select(dataverse: httpx.AsyncClient) -> None:
    response = await dataverse.post(
        "accounts?$select=name,accountnumber",
        json={"name": "Litware", "accountnumber": "L-1"},
        headers=RETURN,
    )
    assert response.status_code == 201
    assert response.headers["Preference-Applied"] == "return=representation"
    body = response.json()
    assert set(body) == {"@odata.context", "@odata.etag", "name", "accountnumber", "accountid"}
    assert body["@odata.context"].endswith("$metadata#accounts(name,accountnumber)/$entity")


async def test_update_changes_version_and_modifiedon(dataverse: httpx.AsyncClient) -> None:
    account = await create(dataverse, "accounts", {"name": "Before"})
    response = await dataverse.patch(
        f"accounts({account['accountid']})", json={"name": "After", "telephone1": "555-0100"}
    )
    assert response.status_code == 204
    after = (await dataverse.get(f"accounts({account['accountid']})")).json()
    assert after["name"] == "After"
    assert after["telephone1"] == "555-0100"
    assert after["versionnumber"] > account["versionnumber"]
    assert after["modifiedon"] >= account["modifiedon"]


async def test_stale_etag_is_412_and_changes_nothing(dataverse: httpx.AsyncClient) -> None:
    account = await create(dataverse, "accounts", {"name": "Original"})
    key = f"accounts({account['accountid']})"
    assert (await dataverse.patch(key, json={"name": "First"})).status_code == 204
    stale = await dataverse.patch(
        key, json={"name": "Second"}, headers={"If-Match": account["@odata.etag"]}
    )
    assert stale.status_code == 412
    assert stale.json()["error"]["code"] == "0x80060882"
    assert (await dataverse.get(key)).json()["name"] == "First"
    current = (await dataverse.get(key)).json()["@odata.etag"]
    fresh = await dataverse.patch(key, json={"name": "Third"}, headers={"If-Match": current})
    assert fresh.status_code == 204
    deleted = await dataverse.delete(key, headers={"If-Match": current})
    assert deleted.status_code == 412


async def test_conditional_get_returns_304(dataverse: httpx.AsyncClient) -> None:
    account = await create(dataverse, "accounts", {"name": "Cached"})
    response = await dataverse.get(
        f"accounts({account['accountid']})", headers={"If-None-Match": account["@odata.etag"]}
    )
    assert response.status_code == 304


async def test_upsert_creates_then_updates(dataverse: httpx.AsyncClient) -> None:
    key = str(uuid.uuid4())
    created = await dataverse.patch(f"accounts({key})", json={"name": "Upserted"})
    assert created.status_code == 204
    assert (await dataverse.get(f"accounts({key})")).json()["name"] == "Upserted"
    updated = await dataverse.patch(
        f"accounts({key})", json={"name": "Upserted again"}, headers=RETURN
    )
    assert updated.status_code == 200
    assert updated.json()["name"] == "Upserted again"


async def test_if_match_star_prevents_create(dataverse: httpx.AsyncClient) -> None:
    key = str(uuid.uuid4())
    response = await dataverse.patch(
        f"accounts({key})", json={"name": "Nope"}, headers={"If-Match": "*"}
    )
    assert response.status_code == 404
    assert (await dataverse.get(f"accounts({key})")).status_code == 404


async def test_if_none_match_star_prevents_update(dataverse: httpx.AsyncClient) -> None:
    account = await create(dataverse, "accounts", {"name": "Keep"})
    response = await dataverse.patch(
        f"accounts({account['accountid']})", json={"name": "Lose"}, headers={"If-None-Match": "*"}
    )
    assert response.status_code == 412
    assert response.json()["error"]["code"] == "0x80040237"
    assert (await dataverse.get(f"accounts({account['accountid']})")).json()["name"] == "Keep"


async def test_delete_then_missing_record_is_404(dataverse: httpx.AsyncClient) -> None:
    account = await create(dataverse, "accounts", {"name": "Short-lived"})
    key = f"accounts({account['accountid']})"
    assert (await dataverse.delete(key)).status_code == 204
    missing = await dataverse.get(key)
    assert missing.status_code == 404
    assert missing.json() == {
        "error": {
            "code": "0x80040217",
            "message": f"Entity 'account' With Id = {account['accountid']} Does Not Exist",
        }
    }
    assert (await dataverse.delete(key)).status_code == 404


async def test_bind_sets_lookups_and_expands(dataverse: httpx.AsyncClient) -> None:
    parent = await create(dataverse, "accounts", {"name": "Parent"})
    child = await create(
        dataverse,
        "accounts",
        {
            "name": "Child",
            "parentaccountid@odata.bind": f"/accounts({parent['accountid']})",
            "transactioncurrencyid@odata.bind": f"transactioncurrencies({USD_ID})",
        },
    )
    assert child["_parentaccountid_value"] == parent["accountid"]
    assert child["_transactioncurrencyid_value"] == USD_ID
    response = await dataverse.get(
        f"accounts({child['accountid']})",
        params={"$select": "name", "$expand": "parentaccountid($select=name)"},
    )
    assert response.json()["parentaccountid"]["name"] == "Parent"
    annotated = await dataverse.get(
        f"accounts({child['accountid']})",
        params={"$select": "_parentaccountid_value"},
        headers={"Prefer": 'odata.include-annotations="*"'},
    )
    body = annotated.json()
    assert body["_parentaccountid_value@Microsoft.Dynamics.CRM.lookuplogicalname"] == "account"


async def test_polymorphic_customer_lookup(dataverse: httpx.AsyncClient) -> None:
    contact = await create(dataverse, "contacts", {"firstname": "Ada", "lastname": "Lovelace"})
    assert contact["fullname"] == "Ada Lovelace"
    opportunity = await create(
        dataverse,
        "opportunities",
        {"name": "Deal", "customerid_contact@odata.bind": f"/contacts({contact['contactid']})"},
    )
    assert opportunity["_customerid_value"] == contact["contactid"]
    expanded = await dataverse.get(
        f"opportunities({opportunity['opportunityid']})",
        params={"$expand": "customerid_contact($select=fullname),customerid_account($select=name)"},
        headers={"Prefer": 'odata.include-annotations="*"'},
    )
    body = expanded.json()
    assert body["customerid_contact"]["fullname"] == "Ada Lovelace"
    assert body["customerid_account"] is None
    assert body["_customerid_value@Microsoft.Dynamics.CRM.lookuplogicalname"] == "contact"


async def test_bind_to_missing_record_writes_nothing(dataverse: httpx.AsyncClient) -> None:
    before = await count(dataverse, "accounts")
    missing = str(uuid.uuid4())
    response = await dataverse.post(
        "accounts", json={"name": "Orphan", "parentaccountid@odata.bind": f"/accounts({missing})"}
    )
    assert response.status_code == 404
    error = response.json()["error"]
    assert error["code"] == "0x80040217"
    assert missing in error["message"]
    assert await count(dataverse, "accounts") == before


async def test_bind_to_wrong_table_is_rejected(dataverse: httpx.AsyncClient) -> None:
    response = await dataverse.post(
        "accounts", json={"name": "X", "parentaccountid@odata.bind": f"/contacts({uuid.uuid4()})"}
    )
    assert response.status_code == 400
    assert "'parentaccountid' refers to 'accounts'" in response.json()["error"]["message"]


async def test_bad_bodies_name_the_field_and_write_nothing(dataverse: httpx.AsyncClient) -> None:
    before = await count(dataverse, "accounts")
    cases = [
        ({"name": "A", "numberofemployees": "many"}, "numberofemployees"),
        ({"name": "A", "revenue": True}, "revenue"),
        ({"name": "A", "nosuchcolumn": 1}, "nosuchcolumn"),
        ({"name": "A", "_parentaccountid_value": str(uuid.uuid4())}, "parentaccountid@odata.bind"),
        ({"name": "A", "createdon": "2024-01-01T00:00:00Z"}, "createdon"),
        ({"name": "x" * 161}, "name"),
        ({"accountnumber": "no name"}, "name"),
        ({"name": "A", "statecode": 7}, "statecode"),
    ]
    for body, field in cases:
        response = await dataverse.post("accounts", json=body)
        assert response.status_code == 400, (body, response.text)
        error = response.json()["error"]
        assert error["code"] == "0x80048d19", error
        assert field in error["message"], (field, error)
    not_json = await dataverse.post(
        "accounts", content=b"{name:", headers={"Content-Type": "application/json"}
    )
    assert not_json.status_code == 400
    assert await count(dataverse, "accounts") == before


async def test_unknown_entity_set_and_property(dataverse: httpx.AsyncClient) -> None:
    response = await dataverse.get("Account")
    assert response.status_code == 404
    assert response.json()["error"] == {
        "code": "0x8006088a",
        "message": "Resource not found for the segment 'Account'.",
    }
    response = await dataverse.get("accounts", params={"$select": "Name"})
    assert response.status_code == 400
    assert (
        "Could not find a property named 'Name' on type 'Microsoft.Dynamics.CRM.account'"
        in (response.json()["error"]["message"])
    )


async def test_alternate_key_and_single_property(dataverse: httpx.AsyncClient) -> None:
    account = await create(dataverse, "accounts", {"name": "Keyed", "accountnumber": "K-42"})
    response = await dataverse.get("accounts(accountnumber='K-42')", params={"$select": "name"})
    assert response.status_code == 200
    assert response.json()["accountid"] == account["accountid"]
    prop = await dataverse.get(f"accounts({account['accountid']})/name")
    assert prop.json()["value"] == "Keyed"
    assert (
        await dataverse.delete(f"accounts({account['accountid']})/accountnumber")
    ).status_code == 204
    assert (await dataverse.get(f"accounts({account['accountid']})")).json()[
        "accountnumber"
    ] is None


async def test_who_am_i_names_the_application_user(dataverse: httpx.AsyncClient) -> None:
    response = await dataverse.get("WhoAmI")
    assert response.status_code == 200
    assert response.json()["UserId"] == CALLER_ID


async def test_create_through_a_collection_navigation_property(
    dataverse: httpx.AsyncClient,
) -> None:
    account = await create(dataverse, "accounts", {"name": "Lines Inc."})
    quote = await create(
        dataverse,
        "quotes",
        {"name": "Q", "customerid_account@odata.bind": f"/accounts({account['accountid']})"},
    )
    response = await dataverse.post(
        f"quotes({quote['quoteid']})/quote_details",
        json={"productdescription": "Write-in", "quantity": 2, "priceperunit": 7.5},
    )
    assert response.status_code == 204
    lines = (await dataverse.get(f"quotes({quote['quoteid']})/quote_details")).json()["value"]
    assert [(line["productdescription"], line["extendedamount"]) for line in lines] == [
        ("Write-in", 15.0)
    ]


async def test_prefer_values_with_quoted_lists(dataverse: httpx.AsyncClient) -> None:
    await create(dataverse, "accounts", {"name": "Annotated"})
    response = await dataverse.get(
        "accounts",
        params={"$select": "_ownerid_value"},
        headers={
            "Prefer": 'odata.include-annotations="OData.Community.Display.V1.FormattedValue,'
            'Microsoft.Dynamics.CRM.lookuplogicalname",odata.maxpagesize=1'
        },
    )
    [row] = response.json()["value"]
    assert row["_ownerid_value@Microsoft.Dynamics.CRM.lookuplogicalname"] == "systemuser"
    assert response.headers["Preference-Applied"].startswith("odata.maxpagesize=1")
