"""Translating values across, with lookups through couplings resolved in one query per row."""

from __future__ import annotations

from typing import Any

import pytest
from pymongo import monitoring

from gateway.mappings.model import Direction, FieldMapping, Lookup, LookupBy, TableMapping
from gateway.mappings.translate import (
    Lookups,
    differing_fields,
    resolve_lookups,
    translate,
    translate_row,
    values_equal,
)
from gateway.services import Services
from gateway.store.couplings import CoupledRecord, CouplingRepository

CUSTOMER = TableMapping(
    name="CUSTOMER",
    erp_entity="customer",
    crm_entity="account",
    direction="BIDIRECTIONAL",  # type: ignore[arg-type]
    depends_on=("SALESPEOPLE",),
    fields=(
        FieldMapping(erp_field="displayName", crm_field="name", transform="trim"),
        FieldMapping(erp_field="blocked", crm_field="statecode", option_map=((" ", 0), ("All", 1))),
        FieldMapping(
            erp_field="salespersonCode",
            crm_field="_ownerid_value",
            lookup=Lookup(mapping="SALESPEOPLE", erp_by=LookupBy.KEY),
        ),
        FieldMapping(crm_field="customertypecode", constant=3, direction="TO_CRM"),  # type: ignore[arg-type]
    ),
)


class CountFinds(monitoring.CommandListener):
    def __init__(self) -> None:
        self.finds = 0

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name == "find":
            self.finds += 1

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


@pytest.fixture
async def couplings(services: Services) -> CouplingRepository:
    repository = CouplingRepository(services.db)
    for code, user in (("JR", "user-jr"), ("AM", "user-am")):
        await repository.couple(
            "SALESPEOPLE",
            CoupledRecord("bc", "salesperson", f"sp-{code}", key=code),
            CoupledRecord("dv", "user", user),
        )
    return repository


async def test_translation_to_the_crm(couplings: CouplingRepository) -> None:
    erp: dict[str, Any] = {"displayName": " Contoso ", "blocked": "All", "salespersonCode": "JR"}
    lookups = await resolve_lookups(CUSTOMER, Direction.TO_CRM, [erp], couplings)
    result = translate(CUSTOMER, Direction.TO_CRM, erp, lookups)
    assert result.ok
    assert result.values == {
        "name": "Contoso",
        "statecode": 1,
        "_ownerid_value": "user-jr",
        "customertypecode": 3,
    }


async def test_translation_from_the_crm(couplings: CouplingRepository) -> None:
    crm: dict[str, Any] = {"name": "Fabrikam", "statecode": 0, "_ownerid_value": "user-am"}
    lookups = await resolve_lookups(CUSTOMER, Direction.FROM_CRM, [crm], couplings)
    result = translate(CUSTOMER, Direction.FROM_CRM, crm, lookups)
    assert result.values == {"displayName": "Fabrikam", "blocked": " ", "salespersonCode": "AM"}


async def test_an_uncoupled_reference_names_the_mapping_to_couple_first(
    couplings: CouplingRepository,
) -> None:
    erp = {"displayName": "X", "blocked": " ", "salespersonCode": "ZZ"}
    lookups = await resolve_lookups(CUSTOMER, Direction.TO_CRM, [erp], couplings)
    result = translate(CUSTOMER, Direction.TO_CRM, erp, lookups)
    assert not result.ok
    [problem] = result.problems
    assert problem.dependency == "SALESPEOPLE"
    assert "salesperson code (ZZ) is not coupled to a CRM record" in problem.message


async def test_an_unmapped_option_is_a_problem(couplings: CouplingRepository) -> None:
    result = translate(
        CUSTOMER,
        Direction.TO_CRM,
        {"blocked": "Ship"},
        await resolve_lookups(CUSTOMER, Direction.TO_CRM, [], couplings),
    )
    assert result.problems[0].message == "blocked: no option is mapped for the value 'Ship'"


async def test_lookups_for_a_batch_cost_one_query_per_lookup_row(
    services: Services, couplings: CouplingRepository
) -> None:
    counter = CountFinds()
    client = type(services.mongo)(str(services.settings.mongodb_url), event_listeners=[counter])
    try:
        counted = CouplingRepository(client[services.settings.mongodb_database])
        batch = [{"salespersonCode": code} for code in ["JR", "AM"] * 50]
        lookups = await resolve_lookups(CUSTOMER, Direction.TO_CRM, batch, counted)
    finally:
        await client.close()
    assert counter.finds == 1
    assert lookups.table[("salespersonCode|_ownerid_value", Direction.TO_CRM)] == {
        "JR": "user-jr",
        "AM": "user-am",
    }


def test_values_compare_as_the_two_systems_spell_them() -> None:
    assert values_equal("", None)
    assert values_equal(10, 10.0)
    assert not values_equal("10", 10)
    assert differing_fields({"name": "A", "email": ""}, {"name": "B", "email": None}) == {
        "name": "A"
    }


@pytest.mark.parametrize(
    ("erp", "crm"),
    [("US", "United States"), ("GB", "United Kingdom"), ("DE", "Germany")],
)
def test_a_country_goes_to_the_crm_by_name_and_back_by_code(erp: str, crm: str) -> None:
    country = FieldMapping(erp_field="country", crm_field="address1_country", transform="country")

    def across(direction: Direction, values: dict[str, Any]) -> Any:
        return translate_row(country, direction, values, Lookups())[0]

    assert across(Direction.TO_CRM, {"country": erp}) == crm
    assert across(Direction.FROM_CRM, {"address1_country": crm}) == erp
    # A code the CRM already holds, or text no country has, is left as it is.
    assert across(Direction.FROM_CRM, {"address1_country": erp}) == erp
    assert across(Direction.FROM_CRM, {"address1_country": "Atlantis"}) == "Atlantis"
