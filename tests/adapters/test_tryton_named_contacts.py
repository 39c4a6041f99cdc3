"""Contacts that are people: a contact mechanism with a name is a person's, one without is
the party's own; `named` reads and filters that (the CONTACT mapping takes people only)."""

from __future__ import annotations

import uuid

import pytest

from adapters.base import Entity
from adapters.errors import ValidationError
from adapters.filters import Compare, Contains, Not, all_of, eq
from tests.adapters.tryton_server import LiveTryton

pytestmark = pytest.mark.tryton


async def test_named_mechanisms_are_read_and_filtered(tryton: LiveTryton) -> None:
    connector = tryton.connector
    tag = uuid.uuid4().hex[:8]
    party = await connector.create(
        Entity.CUSTOMER, {"name": f"Named {tag}", "email": f"office@{tag}.example"}
    )
    person = await connector.create(
        Entity.CONTACT, {"party": party.id, "name": "Ada Lovelace", "email": f"ada@{tag}.example"}
    )
    blank = await connector.create(
        Entity.CONTACT, {"party": party.id, "name": "", "phone": "+44 20 7946 0000"}
    )
    [own] = [
        r.id
        for r in (await connector.query(Entity.CONTACT, eq("party", party.id))).records
        if r.id not in (person.id, blank.id)
    ]

    def ids(named: bool, *, negate: bool = False) -> object:
        condition = eq("named", named)
        return all_of(eq("party", party.id), Not(condition) if negate else condition)

    people = await connector.query(Entity.CONTACT, ids(True))
    assert [r.id for r in people.records] == [person.id]
    others = await connector.query(Entity.CONTACT, ids(False))
    assert sorted(r.id for r in others.records) == sorted([own, blank.id])
    negated = await connector.query(Entity.CONTACT, ids(True, negate=True))
    assert sorted(r.id for r in negated.records) == sorted([own, blank.id])

    found = await connector.get_many(Entity.CONTACT, [person.id, own, blank.id])
    assert [found[i].values["named"] for i in (person.id, own, blank.id)] == [True, False, False]

    with pytest.raises(ValidationError, match=r"contact\.named: only equal to true or false"):
        await connector.query(Entity.CONTACT, Compare("named", "gt", False))
    with pytest.raises(ValidationError, match=r"contact\.named: text matching needs a text"):
        await connector.query(Entity.CONTACT, Contains("named", "x"))
    with pytest.raises(ValidationError, match=r"contact\.named: read-only"):
        await connector.create(Entity.CONTACT, {"party": party.id, "named": True})
