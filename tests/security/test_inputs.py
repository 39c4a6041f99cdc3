"""The input checks every MongoDB query built from client values goes through."""

from __future__ import annotations

import re
from typing import Any

import pytest

from adapters.capabilities import IdKind
from gateway.security.inputs import (
    InputRejectedError,
    escape_regex,
    field_name,
    guid,
    integer_id,
    record_id,
    reject_operators,
    require_plain_text,
    search_pattern,
)
from gateway.services import Services

GUID = "3f2504e0-4f89-11d3-9a0c-0305e82c3301"


@pytest.mark.parametrize("value", [{"$gt": ""}, ["$gt"], 1, None, True])
def test_only_strings_are_text(value: Any) -> None:
    with pytest.raises(InputRejectedError) as refused:
        require_plain_text(value, "name")
    assert refused.value.field == ("name",)
    assert str(refused.value) == "name: must be a string"


def test_text_is_bounded_and_free_of_nul() -> None:
    assert require_plain_text('{"$gt": ""}', "name") == '{"$gt": ""}'  # as data, it is fine
    with pytest.raises(InputRejectedError, match="at most 3 characters"):
        require_plain_text("abcd", "name", max_length=3)
    with pytest.raises(InputRejectedError, match="NUL"):
        require_plain_text("a\x00b", "name")


@pytest.mark.parametrize("search", [".*", "a|b", "(x", "[", "^$", "\\", "a+b?"])
def test_a_search_matches_itself_literally(search: str) -> None:
    condition = search_pattern(search)
    pattern = re.compile(condition["$regex"], re.IGNORECASE)
    assert pattern.search(f"before {search.upper()} after")
    assert condition["$options"] == "i"
    assert escape_regex(search) == condition["$regex"]
    if search == ".*":
        assert not pattern.search("anything else")


async def test_an_escaped_search_finds_only_what_it_says(services: Services) -> None:
    names = services.db["search_probe"]
    await names.insert_many([{"name": "Contoso Ltd."}, {"name": "Fabrikam"}, {"name": "a.*b"}])
    for search, expected in [(".*", ["a.*b"]), ("ltd.", ["Contoso Ltd."]), ("$gt", [])]:
        found = await names.find({"name": search_pattern(search)}).to_list(None)
        assert [d["name"] for d in found] == expected, search


@pytest.mark.parametrize(
    ("value", "expected"),
    [(GUID, GUID), (GUID.upper(), GUID), ("{" + GUID + "}", GUID)],
)
def test_guids_are_normalised(value: str, expected: str) -> None:
    assert guid(value, "crmId") == expected
    assert record_id(IdKind.GUID, value, "crmId") == expected


@pytest.mark.parametrize(
    "value", ['{"$gt": ""}', "x", GUID + "0", GUID.replace("-", ""), " " + GUID, {"$gt": ""}]
)
def test_anything_else_is_not_a_guid(value: Any) -> None:
    with pytest.raises(InputRejectedError) as refused:
        guid(value, "crmId")
    assert refused.value.field == ("crmId",)


@pytest.mark.parametrize(
    ("value", "expected"), [("42", 42), (42, 42), ("9223372036854775807", 2**63 - 1)]
)
def test_integer_ids_are_positive_integers(value: Any, expected: int) -> None:
    assert integer_id(value, "erpId") == expected
    assert record_id(IdKind.INTEGER, value, "erpId") == expected


@pytest.mark.parametrize(
    "value", ["0", "-1", "1e3", "٣", "9223372036854775808", '{"$gt": ""}', True, 1.5, {"$gt": 0}]
)
def test_anything_else_is_not_a_integer_id(value: Any) -> None:
    with pytest.raises(InputRejectedError, match="erpId: must be a positive integer"):
        integer_id(value, "erpId")


def test_text_ids_are_plain_text_of_200_characters_at_most() -> None:
    assert record_id(IdKind.TEXT, "C-10000", "erpId") == "C-10000"
    for value in ("x" * 201, {"$gt": ""}, "a\x00b"):
        with pytest.raises(InputRejectedError) as refused:
            record_id(IdKind.TEXT, value, "erpId")
        assert refused.value.field == ("erpId",)


@pytest.mark.parametrize("value", ["name", "address1_city", "values.name", "_ownerid_value"])
def test_field_names(value: str) -> None:
    assert field_name(value, "orderBy") == value


@pytest.mark.parametrize(
    "value", ["$where", "$gt", "a.$b", "", "a..b", "a b", "na\x00me", {"$gt": 1}]
)
def test_operators_are_not_field_names(value: Any) -> None:
    with pytest.raises(InputRejectedError) as refused:
        field_name(value, "orderBy")
    assert refused.value.field == ("orderBy",)


def test_documents_from_clients_carry_no_operators() -> None:
    clean = {"name": "x", "lines": [{"qty": 1}]}
    assert reject_operators(clean, "template") is clean
    with pytest.raises(InputRejectedError) as refused:
        reject_operators({"lines": [{"qty": {"$gt": 0}}]}, "template")
    assert refused.value.field == ("template", "lines", "0", "qty", "$gt")
