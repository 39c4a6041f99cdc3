"""Tryton as the ERP end to end: the default mappings fit both catalogues, and a live trytond
and the sandbox CRM are kept in step by the real engine. A full synchronization sends every
party to the CRM as an account (and a CRM account to Tryton as a party with its contact
mechanisms), couples them all, and leaves nothing for the next run; a change on either side
then travels on an incremental run."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from adapters.base import Entity, Page, Record
from adapters.dataverse_entities import TABLES
from adapters.tryton import ENTITIES
from gateway.app import create_app
from gateway.asgi_server import running_server
from gateway.mappings.defaults import tryton_defaults
from gateway.mappings.model import MappingDirection
from gateway.mappings.validation import validate_mappings
from gateway.services import Services, default_mappings, open_services
from gateway.settings import Settings
from gateway.sync.incremental import run_incremental
from tests.adapters.tryton_server import (
    LiveTryton,
    TrytonServer,
    gateway_settings,
    tryton,
    tryton_server,
)
from tests.conftest import TEST_API_KEY
from tests.jobs.support import running_worker
from tests.support import poll_readiness
from tests.support_sandbox import SandboxHandle
from tests.sync.support import Systems, full_synchronization, writes

__all__ = ["tryton", "tryton_server"]

ERP = {name: entity.spec() for name, entity in ENTITIES.items()}
CRM = {name: table.spec for name, table in TABLES.items()}
ACCOUNT_COLUMNS = "accountid,name,accountnumber,emailaddress1,telephone1,websiteurl,address1_city"
TRYTON_WRITES = ("create", "write", "delete")


def test_the_tryton_defaults_validate_against_both_catalogues() -> None:
    mappings = tryton_defaults()
    validate_mappings(mappings, erp=ERP, crm=CRM)
    names = [mapping.name for mapping in mappings]
    assert names == [
        "CURRENCY",
        "UNIT OF MEASURE",
        "CUSTOMER",
        "CONTACT",
        "ITEM-PRODUCT",
        "SALESQUOTE",
        "SALESORDER-ORDER",
        "POSTEDSALESINV-INV",
        "PROJECT",
        "CUSTOMER-STATISTICS",
    ]
    customer = mappings[2]
    assert customer.direction is MappingDirection.BIDIRECTIONAL
    assert (customer.erp_key_field, customer.crm_key_field) == ("code", "accountnumber")
    assert {(row.erp_field, row.crm_field) for row in customer.fields} >= {
        ("name", "name"),
        ("email", "emailaddress1"),
        ("phone", "telephone1"),
        ("website", "websiteurl"),
        ("city", "address1_city"),
    }
    # Read-only Tryton entities only ever flow towards the CRM.
    for mapping in mappings:
        if ERP[mapping.erp_entity].read_only:
            assert mapping.direction is MappingDirection.TO_CRM, mapping.name


@pytest.fixture
def tryton_settings(connected_settings: Settings, tryton_server: TrytonServer) -> Settings:
    return gateway_settings(connected_settings, tryton_server, connector_max_attempts=1)


@pytest.fixture
async def store(tryton_settings: Settings) -> AsyncIterator[Services]:
    async with open_services(tryton_settings, wait_for_store=True) as services:
        yield services


@pytest.fixture
async def api(tryton_settings: Settings, store: Services) -> AsyncIterator[httpx.AsyncClient]:
    # A worker carries out what the API queues (a full synchronization).
    async with running_server(create_app(tryton_settings)) as url, running_worker(tryton_settings):
        await poll_readiness(url)
        async with httpx.AsyncClient(
            base_url=url, headers={"Authorization": f"Bearer {TEST_API_KEY}"}, timeout=300
        ) as client:
            yield client


async def all_parties(tryton: LiveTryton) -> list[Record]:
    found: list[Record] = []
    cursor: str | None = None
    while True:
        page = await tryton.connector.query(Entity.CUSTOMER, page=Page(size=500, cursor=cursor))
        found += page.records
        cursor = page.next_cursor
        if cursor is None:
            return found


async def mechanisms(tryton: LiveTryton, party_id: str) -> dict[str, str]:
    rows = await tryton.connector.rpc.model(
        "party.contact_mechanism",
        "search_read",
        [["party", "=", int(party_id)]],
        0,
        None,
        None,
        ["type", "value"],
    )
    return {row["type"]: row["value"] for row in rows}


def tryton_writes(tryton: LiveTryton) -> list[str]:
    return [m for m in tryton.methods if m.startswith("model.") and m.endswith(TRYTON_WRITES)]


@pytest.mark.tryton
async def test_the_services_store_the_tryton_defaults_enabled(store: Services) -> None:
    stored = {mapping.name: mapping for mapping in await store.mappings.all()}
    assert set(stored) == {mapping.name for mapping in default_mappings(store)}
    assert "SALESPEOPLE" not in stored
    assert all(mapping.enabled for mapping in stored.values())
    assert stored["CUSTOMER"].erp_key_field == "code"


@pytest.mark.tryton
async def test_parties_and_accounts_are_synchronized_both_ways(
    api: httpx.AsyncClient, store: Services, sandbox: SandboxHandle, tryton: LiveTryton
) -> None:
    tag = uuid.uuid4().hex[:8]
    made = [
        await tryton.connector.create(
            Entity.CUSTOMER,
            {
                "name": f"Tryton party {tag} {n}",
                "email": f"sales{n}@{tag}.example",
                "phone": f"+39 06 555 01{n:02d}",
                "website": f"https://{tag}-{n}.example",
                "city": "Rome",
            },
        )
        for n in range(3)
    ]
    systems = Systems(sandbox)
    account = await systems.crm(
        "POST",
        "accounts",
        {
            "name": f"Contoso {tag}",
            "emailaddress1": f"info@contoso-{tag}.example",
            "telephone1": "+1 425 555 0100",
            "websiteurl": f"https://contoso-{tag}.example",
            "address1_city": "Redmond",
        },
    )
    if account is None:  # the sandbox answers 204 unless asked for the record
        listed = await systems.all_crm("accounts", ACCOUNT_COLUMNS)
        [account] = [a for a in listed if a["name"] == f"Contoso {tag}"]

    run = await full_synchronization(api, ["CURRENCY", "CUSTOMER"])
    assert run["status"] == "SUCCEEDED", run
    assert run["failed"] == 0, run

    # Every party arrived as an account with its mapped values, and is coupled to it.
    parties = await all_parties(tryton)
    accounts = {a["accountid"]: a for a in await systems.all_crm("accounts", ACCOUNT_COLUMNS)}
    couplings, _ = await store.couplings.page(mapping="CUSTOMER", size=10_000)
    by_party = {c.erp.id: c.crm.id for c in couplings}
    assert len(by_party) == len(couplings) == len(parties) == len(accounts)
    for party in parties:
        crm = accounts[by_party[party.id]]
        assert crm["name"] == party.values["name"].strip()
        assert crm["accountnumber"] == party.values["code"]
        assert crm["emailaddress1"] == party.values["email"]
        assert crm["telephone1"] == party.values["phone"]
        assert crm["websiteurl"] == party.values["website"]
        assert crm["address1_city"] == party.values["city"]
    first = accounts[by_party[made[0].id]]
    assert (first["emailaddress1"], first["address1_city"]) == (f"sales0@{tag}.example", "Rome")

    # The CRM's account arrived as a party with its contact mechanisms and address.
    party_id = next(c.erp.id for c in couplings if c.crm.id == account["accountid"])
    party = (await tryton.connector.get_many(Entity.CUSTOMER, [party_id]))[party_id]
    assert party.values["name"] == f"Contoso {tag}"
    assert party.values["city"] == "Redmond"
    assert await mechanisms(tryton, party_id) == {
        "email": f"info@contoso-{tag}.example",
        "phone": "+1 425 555 0100",
        "website": f"https://contoso-{tag}.example",
    }
    assert accounts[account["accountid"]]["accountnumber"] == party.values["code"]

    # A second run finds nothing to write on either side.
    store.erp, built = tryton.connector, store.erp
    try:
        await run_incremental(store, "CUSTOMER")  # the full run's own echoes
        await sandbox.reset_stats()
        tryton.calls.clear()
        again = await run_incremental(store, "CUSTOMER")
        assert (again.counters.inserted, again.counters.modified, again.counters.failed) == (
            0,
            0,
            0,
        )
        assert writes(await sandbox.stats()) == 0
        assert tryton_writes(tryton) == []

        # A change in Tryton reaches the CRM on the next incremental run...
        await tryton.connector.update(
            Entity.CUSTOMER, made[1].id, {"phone": "+39 06 555 0999", "city": "Milan"}
        )
        pushed = await run_incremental(store, "CUSTOMER")
        assert pushed.counters.modified == 1, pushed.message
        crm = await systems.crm("GET", f"accounts({by_party[made[1].id]})")
        assert (crm["telephone1"], crm["address1_city"]) == ("+39 06 555 0999", "Milan")

        # ... and a change in the CRM reaches Tryton.
        await systems.crm(
            "PATCH",
            f"accounts({account['accountid']})",
            {"emailaddress1": f"orders@contoso-{tag}.example", "name": f"Contoso {tag} Ltd"},
        )
        pulled = await run_incremental(store, "CUSTOMER")
        assert pulled.counters.modified == 1, pulled.message
        party = (await tryton.connector.get_many(Entity.CUSTOMER, [party_id]))[party_id]
        assert party.values["name"] == f"Contoso {tag} Ltd"
        assert (await mechanisms(tryton, party_id))["email"] == f"orders@contoso-{tag}.example"
    finally:
        store.erp = built


@pytest.mark.tryton
async def test_named_email_mechanisms_and_crm_contacts_are_synchronized_both_ways(
    api: httpx.AsyncClient, store: Services, sandbox: SandboxHandle, tryton: LiveTryton
) -> None:
    tag = uuid.uuid4().hex[:8]
    party = await tryton.connector.create(Entity.CUSTOMER, {"name": f"Analytical {tag}"})
    ada = await tryton.connector.create(
        Entity.CONTACT, {"party": party.id, "name": "Ada Lovelace", "email": f"ada@{tag}.example"}
    )
    crm = store.crm
    assert crm is not None
    account = await crm.create("account", {"name": f"Navy {tag}"})
    grace = await crm.create(
        "contact",
        {
            "firstname": "Grace",
            "lastname": "Hopper",
            "emailaddress1": f"grace@{tag}.example",
            "_parentcustomerid_value": account.id,
        },
    )

    run = await full_synchronization(api, ["CURRENCY", "CUSTOMER", "CONTACT"])
    assert run["status"] == "SUCCEEDED", run
    assert run["failed"] == 0, run

    contacts = await store.couplings.by_ids("CONTACT", "erp", [ada.id])
    customers = await store.couplings.by_ids("CUSTOMER", "erp", [party.id])
    crm_ada = await Systems(sandbox).crm("GET", f"contacts({contacts[ada.id].crm.id})")
    assert (crm_ada["firstname"], crm_ada["lastname"]) == ("Ada", "Lovelace")
    assert crm_ada["emailaddress1"] == f"ada@{tag}.example"
    assert crm_ada["_parentcustomerid_value"] == customers[party.id].crm.id

    coupled = await store.couplings.by_ids("CONTACT", "crm", [grace.id])
    navy = await store.couplings.by_ids("CUSTOMER", "crm", [account.id])
    mechanism = (await tryton.connector.get_many(Entity.CONTACT, [coupled[grace.id].erp.id]))[
        coupled[grace.id].erp.id
    ]
    assert mechanism.values["name"] == "Grace Hopper"
    assert (mechanism.values["type"], mechanism.values["value"]) == (
        "email",
        f"grace@{tag}.example",
    )
    assert mechanism.values["party"] == navy[account.id].erp.id


@pytest.mark.tryton
async def test_tryton_projects_reach_the_crm_with_their_account_and_renames_follow(
    api: httpx.AsyncClient, store: Services, sandbox: SandboxHandle, tryton: LiveTryton
) -> None:
    tag = uuid.uuid4().hex[:8]
    party = await tryton.connector.create(Entity.CUSTOMER, {"name": f"Fabrikam {tag}"})
    project = await tryton.connector.create(
        Entity.PROJECT, {"name": f"Rollout {tag}", "party": party.id, "comment": "Phase one"}
    )

    run = await full_synchronization(api, ["CURRENCY", "CUSTOMER", "PROJECT"])
    assert run["status"] == "SUCCEEDED", run
    assert run["failed"] == 0, run

    projects = await store.couplings.by_ids("PROJECT", "erp", [project.id])
    customers = await store.couplings.by_ids("CUSTOMER", "erp", [party.id])
    path = f"msdyn_projects({projects[project.id].crm.id})"
    crm_project = await Systems(sandbox).crm("GET", path)
    assert crm_project["msdyn_subject"] == f"Rollout {tag}"
    assert crm_project["msdyn_description"] == "Phase one"
    assert crm_project["_msdyn_customer_value"] == customers[party.id].crm.id

    # A project renamed in Tryton is renamed in the CRM by the next run, and only that.
    await run_incremental(store, "PROJECT")  # the full run's own echoes
    await tryton.connector.update(Entity.PROJECT, project.id, {"name": f"Rollout {tag} v2"})
    await sandbox.reset_stats()
    pushed = await run_incremental(store, "PROJECT")
    assert (pushed.counters.inserted, pushed.counters.modified) == (0, 1), pushed.message
    assert writes(await sandbox.stats()) == 1
    crm_project = await Systems(sandbox).crm("GET", path)
    assert crm_project["msdyn_subject"] == f"Rollout {tag} v2"
