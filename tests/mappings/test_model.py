"""Mappings as data: rows, directions, transforms, validation against entity catalogues."""

from __future__ import annotations

import pydantic
import pytest

from adapters.base import EntitySpec
from gateway.mappings.model import (
    Direction,
    FieldMapping,
    Lookup,
    LookupBy,
    MappingDirection,
    TableMapping,
)
from gateway.mappings.transforms import UnknownTransformError, resolve_transform
from gateway.mappings.validation import (
    MappingValidationError,
    dependency_order,
    validate_mappings,
)

ERP = {
    "customer": EntitySpec(
        name="customer",
        native_name="customers",
        key_field="id",
        fields=frozenset({"id", "number", "displayName", "email", "salespersonCode"}),
    ),
    "salesperson": EntitySpec(
        name="salesperson",
        native_name="salespeople",
        key_field="id",
        fields=frozenset({"id", "code", "displayName"}),
    ),
}
CRM = {
    "account": EntitySpec(
        name="account",
        native_name="accounts",
        key_field="accountid",
        fields=frozenset({"accountid", "name", "accountnumber", "emailaddress1", "_ownerid_value"}),
    ),
    "user": EntitySpec(
        name="user",
        native_name="systemusers",
        key_field="systemuserid",
        fields=frozenset({"systemuserid", "fullname"}),
    ),
}


def salespeople() -> TableMapping:
    return TableMapping(
        name="SALESPEOPLE",
        erp_entity="salesperson",
        crm_entity="user",
        direction=MappingDirection.FROM_CRM,
        erp_key_field="code",
        fields=(FieldMapping(erp_field="displayName", crm_field="fullname"),),
    )


def customers(**changes: object) -> TableMapping:
    base: dict[str, object] = {
        "name": "CUSTOMER",
        "erp_entity": "customer",
        "crm_entity": "account",
        "direction": MappingDirection.BIDIRECTIONAL,
        "depends_on": ("SALESPEOPLE",),
        "erp_key_field": "number",
        "fields": (
            FieldMapping(erp_field="displayName", crm_field="name", transform="trim"),
            FieldMapping(erp_field="email", crm_field="emailaddress1"),
            FieldMapping(erp_field="number", crm_field="accountnumber", direction="TO_CRM"),
            FieldMapping(
                erp_field="salespersonCode",
                crm_field="_ownerid_value",
                lookup=Lookup(mapping="SALESPEOPLE", erp_by=LookupBy.KEY),
            ),
        ),
    }
    return TableMapping.model_validate(base | changes)


def test_rows_flow_only_where_table_and_row_both_allow() -> None:
    mapping = customers()
    to_crm = [row.key for row in mapping.rows_towards(Direction.TO_CRM)]
    from_crm = [row.key for row in mapping.rows_towards(Direction.FROM_CRM)]
    assert "number|accountnumber" in to_crm
    assert "number|accountnumber" not in from_crm
    one_way = customers(direction=MappingDirection.TO_CRM)
    assert one_way.rows_towards(Direction.FROM_CRM) == []


def test_the_default_set_validates_and_orders_by_dependency() -> None:
    validate_mappings([customers(), salespeople()], erp=ERP, crm=CRM)
    order = [m.name for m in dependency_order([customers(), salespeople()])]
    assert order == ["SALESPEOPLE", "CUSTOMER"]


@pytest.mark.parametrize(
    ("mapping", "problem"),
    [
        (
            customers(fields=(FieldMapping(erp_field="displayName", crm_field="nickname"),)),
            "row displayName|nickname names CRM field 'nickname', which account does not have",
        ),
        (
            customers(
                fields=(FieldMapping(erp_field="email", crm_field="name", transform="shout"),)
            ),
            "CUSTOMER: row email|name: unknown transform 'shout'",
        ),
        (
            customers(depends_on=("SALESPEOPLE", "PRICES")),
            "CUSTOMER: depends on unknown mapping 'PRICES'",
        ),
        (customers(crm_entity="lead"), "CUSTOMER: the CRM has no entity 'lead'"),
        (
            customers(depends_on=()),
            "looks up through SALESPEOPLE, which must be listed in depends_on",
        ),
    ],
)
def test_a_bad_mapping_is_refused_naming_what_is_wrong(mapping: TableMapping, problem: str) -> None:
    with pytest.raises(MappingValidationError) as caught:
        validate_mappings([mapping, salespeople()], erp=ERP, crm=CRM)
    assert any(problem in p for p in caught.value.problems), caught.value.problems


def test_a_dependency_cycle_is_named() -> None:
    looped = salespeople().model_copy(update={"depends_on": ("CUSTOMER",)})
    with pytest.raises(
        MappingValidationError, match="dependency cycle: CUSTOMER → SALESPEOPLE → CUSTOMER"
    ):
        validate_mappings([customers(), looped], erp=ERP, crm=CRM)


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"erp_field": "a"}, "needs both an ERP and a CRM field"),
        ({"crm_field": "a", "constant": "x"}, "needs a direction"),
        ({"erp_field": "a", "constant": 1, "direction": "TO_CRM"}, "must be on its target side"),
        ({}, "needs an ERP field, a CRM field, or both"),
    ],
)
def test_field_rows_are_checked_when_built(row: dict[str, object], message: str) -> None:
    with pytest.raises(pydantic.ValidationError, match=message):
        FieldMapping.model_validate(row)


def test_duplicate_rows_are_refused() -> None:
    row = FieldMapping(erp_field="email", crm_field="emailaddress1")
    with pytest.raises(pydantic.ValidationError, match="appears twice"):
        customers(fields=(row, row))


def test_transforms() -> None:
    assert resolve_transform("trim").to_crm("  Contoso ") == "Contoso"
    assert resolve_transform("truncate:3").to_erp("abcdef") == "abc"
    assert resolve_transform("number").to_crm("12.50") == 12.5
    assert resolve_transform("date").to_crm("2026-11-22T10:00:00Z") == "2026-11-22"
    assert resolve_transform("upper").to_crm(None) is None
    with pytest.raises(UnknownTransformError, match="not a valid argument"):
        resolve_transform("truncate:x")
