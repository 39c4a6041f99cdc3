"""`$filter` parsing and translation to MongoDB filters (unit level, no server)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from sandbox.dataverse.catalogue import TABLES
from sandbox.dataverse.context import SCHEMA
from sandbox.errors import ErrorKind, SandboxError
from sandbox.model import EntitySet
from sandbox.odata.filter import merge, negate, parse, translate

ACCOUNTS = TABLES["accounts"].entity_set
QUOTES = TABLES["quotes"].entity_set
GUID = "0a1b2c3d-0000-4000-8000-000000000001"


def mongo(text: str, entity_set: EntitySet = ACCOUNTS) -> dict[str, Any]:
    return translate(parse(text), SCHEMA.resolver(entity_set))


def test_comparisons_become_flat_conjunctions() -> None:
    assert mongo("name eq 'Contoso' and revenue gt 1000 and revenue le 5000") == {
        "name": "Contoso",
        "revenue": {"$gt": 1000.0, "$lte": 5000.0},
    }


def test_literal_on_the_left_flips_the_operator() -> None:
    assert mongo("1000 lt revenue") == {"revenue": {"$gt": 1000.0}}


def test_key_and_lookup_columns_are_guids_in_storage_form() -> None:
    upper = GUID.upper()
    assert mongo(f"accountid eq {upper}") == {"_id": GUID}
    assert mongo(f"_parentaccountid_value eq {GUID}") == {"_parentaccountid_value": GUID}
    assert mongo(f"parentaccountid/accountid eq {GUID}") == {"_parentaccountid_value": GUID}


def test_or_of_equalities_on_one_property_becomes_in() -> None:
    assert mongo("name eq 'a' or name eq 'b' or name eq 'c'") == {"name": {"$in": ["a", "b", "c"]}}


def test_or_across_properties_stays_or() -> None:
    assert mongo("name eq 'a' or accountnumber eq 'b'") == {
        "$or": [{"name": "a"}, {"accountnumber": "b"}]
    }


def test_dataverse_in_query_function_with_brackets() -> None:
    text = f"Microsoft.Dynamics.CRM.In(PropertyName='accountid',PropertyValues=['{GUID}'])"
    assert mongo(text) == {"_id": {"$in": [GUID]}}
    not_in = "Microsoft.Dynamics.CRM.NotIn(PropertyName='statecode',PropertyValues=['0','1'])"
    with pytest.raises(SandboxError):  # strings are not statecodes
        mongo(not_in)
    assert mongo("Microsoft.Dynamics.CRM.NotIn(PropertyName='statecode',PropertyValues=[0,1])") == {
        "statecode": {"$nin": [0, 1]}
    }


def test_string_functions_are_case_insensitive_and_escaped() -> None:
    assert mongo("contains(name,'a.b')") == {"name": {"$regex": r"a\.b", "$options": "i"}}
    assert mongo("startswith(name,'Con')") == {"name": {"$regex": "^Con", "$options": "i"}}
    assert mongo("endswith(name,'Ltd')") == {"name": {"$regex": "Ltd$", "$options": "i"}}


def test_not_uses_the_complement_where_it_exists() -> None:
    assert mongo("not (revenue gt 5)") == {"revenue": {"$lte": 5.0}}
    assert mongo("not (name eq 'x')") == {"name": {"$ne": "x"}}
    assert mongo("not contains(name,'x')") == {"name": {"$not": {"$regex": "x", "$options": "i"}}}
    assert mongo("not (name eq 'x' and revenue gt 5)") == {
        "$nor": [{"name": "x", "revenue": {"$gt": 5.0}}]
    }


def test_datetimes_compare_as_utc() -> None:
    assert mongo("modifiedon ge 2024-05-01T12:00:00+02:00") == {
        "modifiedon": {"$gte": dt.datetime(2024, 5, 1, 10, 0)}
    }


def test_null_comparisons() -> None:
    assert mongo("accountnumber eq null") == {"accountnumber": None}
    assert mongo("accountnumber ne null") == {"accountnumber": {"$ne": None}}


def test_quote_states_are_integers() -> None:
    assert mongo("statecode eq 1 and statuscode in (2,3)", QUOTES) == {
        "statecode": 1,
        "statuscode": {"$in": [2, 3]},
    }


@pytest.mark.parametrize(
    ("text", "kind", "fragment"),
    [
        ("name eqq 'x'", ErrorKind.BAD_QUERY, "Syntax error at position 4"),
        ("name eq 'x", ErrorKind.BAD_QUERY, "Syntax error"),
        ("nmae eq 'x'", ErrorKind.UNKNOWN_PROPERTY, "Could not find a property named 'nmae'"),
        ("revenue eq 'lots'", ErrorKind.BAD_QUERY, "incompatible types"),
        ("accountid eq 'not-a-guid'", ErrorKind.BAD_QUERY, "incompatible types"),
        ("tolower(name) eq 'x'", ErrorKind.NOT_SUPPORTED, "not supported"),
    ],
)
def test_bad_filters_name_the_problem(text: str, kind: ErrorKind, fragment: str) -> None:
    with pytest.raises(SandboxError) as caught:
        mongo(text)
    assert caught.value.kind is kind
    assert fragment in caught.value.message


def test_merge_keeps_conflicting_conditions_in_and() -> None:
    assert merge({"a": {"$gt": 1}}, {"a": {"$lt": 5}}) == {"a": {"$gt": 1, "$lt": 5}}
    assert merge({"a": 1}, {"a": 2}) == {"$and": [{"a": 1}, {"a": 2}]}
    assert negate({"a": {"$in": [1]}}) == {"a": {"$nin": [1]}}
