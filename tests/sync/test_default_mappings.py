"""The default mappings fit the real connectors' catalogues: every entity and field they name
exists, so they are stored enabled and pass the start-up check."""

from __future__ import annotations

import pytest

from adapters.base import EntitySpec, Side
from adapters.business_central_entities import RESOURCES
from adapters.dataverse_entities import TABLES
from adapters.memory import MemoryConnector
from adapters.project_server.entities import specs as project_server_specs
from gateway.mappings.defaults import (
    CRM_BALANCE,
    CRM_OVERDUE,
    CRM_TOTAL_SALES,
    business_central_defaults,
    business_central_project_defaults,
    defaults_for,
)
from gateway.mappings.health import check_mappings
from gateway.mappings.validation import MappingValidationError, validate_mappings

CRM = {name: table.spec for name, table in TABLES.items()}


def test_the_business_central_defaults_validate_against_both_catalogues() -> None:
    mappings = defaults_for(
        business_central_defaults(), erp_entities=set(RESOURCES), crm_entities=set(CRM)
    )
    validate_mappings(mappings, erp=RESOURCES, crm=CRM)
    enabled = {mapping.name for mapping in mappings if mapping.enabled}
    assert {"CUSTOMER", "CONTACT", "SALESPEOPLE", "CURRENCY", "CUSTOMER-STATISTICS"} <= enabled


def test_the_account_has_the_columns_of_the_customer_statistics() -> None:
    assert {CRM_BALANCE, CRM_TOTAL_SALES, CRM_OVERDUE} <= CRM["account"].fields


def test_a_mapping_naming_a_missing_field_is_kept_out_of_runs() -> None:

    erp = MemoryConnector(
        "business_central",
        Side.ERP,
        specs={
            "customer": EntitySpec("customer", "customers", "id", frozenset({"id", "number"})),
        },
    )
    crm = MemoryConnector("dataverse", Side.CRM, specs={"account": CRM["account"]})
    [customer] = [m for m in business_central_defaults() if m.name == "CUSTOMER"]
    lone = customer.model_copy(update={"depends_on": (), "fields": customer.fields[:2]})
    health = check_mappings([lone], erp=erp, crm=crm)
    assert not health.usable(lone)
    assert health.runnable == []
    assert any("'displayName'" in problem for problem in health.problems["CUSTOMER"])


def test_the_project_defaults_validate_against_business_central_and_project_server() -> None:
    projects = project_server_specs()
    mappings = defaults_for(
        business_central_project_defaults(),
        erp_entities=set(RESOURCES),
        crm_entities=set(CRM),
        project_entities=set(projects),
    )
    validate_mappings(mappings, erp=RESOURCES, crm=CRM, projects=projects)
    assert {m.name for m in mappings if m.enabled} == {
        "PROJECT-PSPROJECT",
        "ACTIVITY-TASK",
        "WORKER-RESOURCE",
        "PROJECT-ACTUALS",
    }


def test_a_mapping_creating_tasks_without_their_project_is_refused() -> None:
    projects = project_server_specs()
    mappings = business_central_project_defaults()
    [tasks] = [m for m in mappings if m.name == "ACTIVITY-TASK"]
    without = tasks.model_copy(
        update={"fields": tuple(r for r in tasks.fields if r.erp_field != "projectId")}
    )
    others = [m for m in mappings if m.name != "ACTIVITY-TASK"]
    with pytest.raises(MappingValidationError, match="without projectId, which they require"):
        validate_mappings([*others, without], erp=RESOURCES, crm=CRM, projects=projects)
