"""OData syntax: literals, filters, id chunks, watermarks."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from adapters.base import Record
from adapters.errors import ValidationError
from adapters.filters import And, Compare, Contains, In, Not, Or, eq
from adapters.odata.query import chunk_ids, literal, query_string, render_filter
from adapters.odata.watermark import Watermark

ID = "60c4e274-0d87-e711-80e5-00155db19e6d"


def render(node: object) -> str:
    return render_filter(node, system="test", is_guid_field=lambda name: name.endswith("id"))  # type: ignore[arg-type]


def test_literals() -> None:
    assert literal("O'Brien", system="t") == "'O''Brien'"
    assert literal(None, system="t") == "null"
    assert literal(True, system="t") == "true"
    assert literal(12.5, system="t") == "12.5"
    assert literal(datetime(2024, 3, 1, 10, 0, tzinfo=UTC), system="t") == "2024-03-01T10:00:00Z"
    assert (
        literal(datetime(2024, 3, 1, 10, 0, 0, 293000, tzinfo=UTC), system="t")
        == "2024-03-01T10:00:00.293Z"
    )
    assert literal(uuid.UUID(ID), system="t") == ID
    with pytest.raises(ValidationError, match="not a GUID"):
        literal("x') or true or ('", guid=True, system="t")
    with pytest.raises(ValidationError, match="cannot be sent"):
        literal(object(), system="t")


def test_filters() -> None:
    assert render(eq("accountid", ID)) == f"accountid eq {ID}"
    assert render(In("statecode", (0, 1))) == "(statecode eq 0 or statecode eq 1)"
    assert render(In("statecode", ())) == "false"
    assert render(And((Compare("revenue", "gt", 10), Not(Contains("name", "x"))))) == (
        "(revenue gt 10 and not (contains(name,'x')))"
    )
    assert render(Or((eq("name", "a"), eq("name", "b")))) == "(name eq 'a' or name eq 'b')"
    with pytest.raises(ValidationError, match="not a valid OData name"):
        render(eq("name eq 'x' or name", "y"))


def test_query_strings_encode_spaces_and_reserved_characters() -> None:
    assert (
        query_string([("$filter", "name eq 'a+b&c=d#'")])
        == "$filter=name%20eq%20'a%2Bb%26c%3Dd%23'"
    )


def test_chunks_stay_within_the_budget() -> None:
    ids = [str(uuid.uuid4()) for _ in range(100)]
    chunks = chunk_ids(ids, clause=lambda i: f"accountid eq {i}", budget=600, max_ids=50)
    assert [i for chunk in chunks for i in chunk] == ids
    assert all(
        len(query_string([("f", " or ".join(f"accountid eq {i}" for i in c))])) <= 602
        for c in chunks
    )
    assert len(chunk_ids(ids, clause=lambda i: i, budget=10**6, max_ids=40)) == 3


def test_watermarks_skip_what_was_seen_at_the_same_instant_only() -> None:
    at = "2024-03-01T10:00:00Z"
    when = datetime(2024, 3, 1, 10, tzinfo=UTC)
    seen = Record("s", "e", "a", {}, modified_on=when, etag="1")
    mark = Watermark().advance([seen], {"a": at})
    again = Watermark.decode(mark.encode(), system="t")
    assert again == mark
    assert not again.is_new(seen)
    assert again.is_new(
        Record("s", "e", "a", {}, modified_on=when, etag="2")
    )  # changed in the same tick
    assert again.is_new(Record("s", "e", "b", {}, modified_on=when, etag="1"))
    later = again.advance([Record("s", "e", "b", {}, etag="1")], {"b": "2024-03-01T10:00:01Z"})
    assert later.at == "2024-03-01T10:00:01Z"
    assert later.seen == {"b": "1"}
    with pytest.raises(ValidationError):
        Watermark.decode("watermark:{broken", system="t")
