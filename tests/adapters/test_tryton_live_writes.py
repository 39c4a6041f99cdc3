"""The Tryton connector against a live trytond: writes, conditional writes, workflows."""

from __future__ import annotations

import uuid

import pytest

from adapters.base import Create, Delete, Entity, Update
from adapters.errors import ConflictError, NotFoundError, ValidationError
from adapters.filters import eq
from tests.adapters.tryton_server import LiveTryton
from tests.adapters.tryton_template import SECOND_PRODUCT_CODE, SERVICE_PRODUCT_CODE

pytestmark = pytest.mark.tryton


def tag() -> str:
    return uuid.uuid4().hex[:10]


async def product_id(tryton: LiveTryton, code: str) -> str:
    result = await tryton.connector.query(Entity.ITEM, eq("code", code))
    return result.records[0].id


async def test_customer_create_update_conflict_delete(tryton: LiveTryton) -> None:
    connector = tryton.connector
    name = f"Lifecycle {tag()}"
    created = await connector.create(
        Entity.CUSTOMER,
        {
            "name": name,
            "email": "orders@lifecycle.example",
            "phone": "+1 555 0100",
            "website": "https://lifecycle.example",
            "city": "Springfield",
            "street": "1 Main Street",
            "postal_code": "12345",
            "country_code": "us",
        },
    )
    assert created.entity == "customer"
    assert created.values["name"] == name
    assert created.get("email") == "orders@lifecycle.example"
    assert created.get("phone") == "+1 555 0100"
    assert created.get("website") == "https://lifecycle.example"
    assert created.get("city") == "Springfield"
    assert created.get("street") == "1 Main Street"
    assert created.get("country_code") == "US"
    assert created.get("code")
    assert created.etag

    updated = await connector.update(
        Entity.CUSTOMER,
        created.id,
        {"email": "sales@lifecycle.example", "city": "Capital City", "phone": None},
        etag=created.etag,
    )
    assert updated.get("email") == "sales@lifecycle.example"
    assert updated.get("city") == "Capital City"
    assert updated.get("phone") is None
    assert updated.etag != created.etag

    # The first etag is stale now: Tryton refuses the write.
    with pytest.raises(ConflictError):
        await connector.update(Entity.CUSTOMER, created.id, {"name": "Lost"}, etag=created.etag)
    with pytest.raises(ConflictError):
        await connector.delete(Entity.CUSTOMER, created.id, etag=created.etag)
    unchanged = await connector.get_many(Entity.CUSTOMER, [created.id])
    assert unchanged[created.id].get("name") == name

    await connector.delete(Entity.CUSTOMER, created.id, etag=updated.etag)
    assert await connector.get_many(Entity.CUSTOMER, [created.id]) == {}
    with pytest.raises(NotFoundError):
        await connector.delete(Entity.CUSTOMER, created.id)
    with pytest.raises(NotFoundError):
        await connector.update(Entity.CUSTOMER, created.id, {"name": "Ghost"})


async def test_country_codes_are_checked(tryton: LiveTryton) -> None:
    with pytest.raises(ValidationError, match=r"customer\.country_code: 'ZZ'"):
        await tryton.connector.create(
            Entity.CUSTOMER, {"name": f"Nowhere {tag()}", "country_code": "ZZ"}
        )


async def test_bad_values_are_refused_before_anything_is_sent(tryton: LiveTryton) -> None:
    await tryton.connector.login()
    before = len(tryton.calls)
    cases = [
        ({"name": 42}, r"customer\.name: expected a string"),
        ({"nickname": "x"}, r"customer\.nickname: unknown field"),
        ({"code": "C1", "currency": "dollars"}, r"customer\.currency: 'dollars' is not a"),
    ]
    for values, message in cases:
        with pytest.raises(ValidationError, match=message):
            await tryton.connector.create(Entity.CUSTOMER, values)
    with pytest.raises(ValidationError, match=r"quote\.state: read-only"):
        await tryton.connector.update(Entity.QUOTE, "1", {"state": "done"})
    with pytest.raises(ValidationError, match=r"quote\.lines\[0\]\.colour: unknown field"):
        await tryton.connector.create(Entity.QUOTE, {"lines": [{"colour": "red"}]})
    with pytest.raises(ValidationError, match="invoice: read-only entity"):
        await tryton.connector.create(Entity.INVOICE, {"number": "1"})
    with pytest.raises(ValidationError, match=r"customer\.id: 'abc' is not a Tryton record id"):
        await tryton.connector.update(Entity.CUSTOMER, "abc", {"name": "x"})
    with pytest.raises(ValidationError, match="unknown action 'ship'"):
        await tryton.connector.transition(Entity.QUOTE, "1", "ship")
    assert len(tryton.calls) == before


async def test_user_error_from_a_refused_write(tryton: LiveTryton) -> None:
    # A sale needs a party: Tryton's own validation refuses it.
    with pytest.raises(ValidationError) as caught:
        await tryton.connector.create(Entity.QUOTE, {"description": "nobody's"})
    assert caught.value.code == "UserError"
    assert "Party" in caught.value.message


async def test_quote_to_confirmed_order_and_processing(tryton: LiveTryton) -> None:
    connector = tryton.connector
    customer = await connector.create(
        Entity.CUSTOMER, {"name": f"Buyer {tag()}", "city": "Springfield"}
    )
    consulting = await product_id(tryton, SERVICE_PRODUCT_CODE)
    training = await product_id(tryton, SECOND_PRODUCT_CODE)

    quote = await connector.create(
        Entity.QUOTE,
        {
            "party": customer.id,
            "description": "Implementation",
            "lines": [
                {"product": consulting, "quantity": 2},
                {"product": training, "quantity": 1, "unit_price": "75.50"},
            ],
        },
    )
    assert quote.entity == "quote"
    assert quote.get("state") == "draft"
    assert quote.get("party") == customer.id
    assert quote.get("invoice_address") is not None
    assert [line["unit_price"] for line in quote.get("lines")] == [100.0, 75.5]
    assert quote.get("untaxed_amount") == 275.5

    first_line = quote.get("lines")[0]
    revised = await connector.update(
        Entity.QUOTE,
        quote.id,
        {"lines": [{"id": first_line["id"], "quantity": 3}]},
        etag=quote.etag,
    )
    assert [line["id"] for line in revised.get("lines")] == [first_line["id"]]
    assert revised.get("untaxed_amount") == 300.0

    token = None
    async for batch in connector.changes(Entity.QUOTE, None, page_size=1000):
        token = batch.token
    assert token is not None

    quoted = await connector.transition(Entity.QUOTE, quote.id, "quote")
    assert quoted is not None
    assert quoted.get("state") == "quotation"
    assert quoted.get("number")

    confirmed = await connector.transition(Entity.QUOTE, quote.id, "confirm")
    assert confirmed is not None
    assert confirmed.entity == "sales_order"
    assert confirmed.get("state") in {"confirmed", "processing"}

    processed = await connector.transition(Entity.SALES_ORDER, quote.id, "process")
    assert processed is not None
    assert processed.get("state") == "processing"
    assert processed.get("invoice_state") == "pending"

    # The quote left the quote entity: its feed says so; the order feed has it.
    departed = [batch async for batch in connector.changes(Entity.QUOTE, token)]
    assert quote.id in [item for batch in departed for item in batch.deleted_ids]
    assert quote.id not in [r.id for batch in departed for r in batch.upserts]
    assert await connector.get_many(Entity.QUOTE, [quote.id]) == {}
    orders = await connector.get_many(Entity.SALES_ORDER, [quote.id])
    assert orders[quote.id].get("state") == "processing"

    # A confirmed sale refuses changes: Tryton's user error comes back as a validation error.
    with pytest.raises(ValidationError):
        await connector.update(Entity.SALES_ORDER, quote.id, {"description": "late change"})

    lines = await connector.query(Entity.SALES_ORDER_LINE, eq("sale", quote.id))
    assert len(lines.records) == 1
    assert lines.records[0].get("quantity") == 3.0


async def test_sales_order_created_directly_is_confirmed(tryton: LiveTryton) -> None:
    connector = tryton.connector
    customer = await connector.create(
        Entity.CUSTOMER, {"name": f"Direct {tag()}", "city": "Ogdenville"}
    )
    consulting = await product_id(tryton, SERVICE_PRODUCT_CODE)
    order = await connector.create(
        Entity.SALES_ORDER,
        {"party": customer.id, "lines": [{"product": consulting, "quantity": 1}]},
    )
    assert order.entity == "sales_order"
    assert order.get("state") in {"confirmed", "processing"}


async def test_transition_of_a_missing_sale_is_not_found(tryton: LiveTryton) -> None:
    with pytest.raises(NotFoundError):
        await tryton.connector.transition(Entity.QUOTE, "987654", "quote")


async def test_invoice_posting_feeds_customer_statistics(tryton: LiveTryton) -> None:
    connector = tryton.connector
    customer = await connector.create(
        Entity.CUSTOMER, {"name": f"Debtor {tag()}", "city": "North Haverbrook"}
    )
    consulting = await product_id(tryton, SERVICE_PRODUCT_CODE)
    order = await connector.create(
        Entity.SALES_ORDER,
        {"party": customer.id, "lines": [{"product": consulting, "quantity": 2}]},
    )
    await connector.transition(Entity.SALES_ORDER, order.id, "process")

    before = await connector.customer_statistics([customer.id])
    assert before[customer.id].balance == 0.0
    assert before[customer.id].total_sales == 0.0

    invoices = await connector.query(Entity.INVOICE, eq("party", customer.id))
    (invoice,) = invoices.records
    assert invoice.get("state") == "draft"
    assert invoice.get("total_amount") == 200.0
    posted = await connector.transition(Entity.INVOICE, invoice.id, "post")
    assert posted is not None
    assert posted.get("state") == "posted"
    assert posted.get("number")

    statistics = await connector.customer_statistics([customer.id, "424242"])
    assert set(statistics) == {customer.id}
    figures = statistics[customer.id]
    assert figures.balance == 200.0
    assert figures.total_sales == 200.0
    assert figures.overdue_amount == 200.0
    assert figures.currency_code == "USD"

    records = await connector.get_many(Entity.CUSTOMER_STATISTICS, [customer.id])
    values = records[customer.id].values
    assert values["totalSalesExcludingTax"] == values["totalSales"] == 200.0
    assert values["receivable"] == values["balance"]


async def test_contacts_are_contact_mechanisms_of_a_customer(tryton: LiveTryton) -> None:
    connector = tryton.connector
    customer = await connector.create(Entity.CUSTOMER, {"name": f"Contacts {tag()}"})
    contact = await connector.create(
        Entity.CONTACT,
        {"party": customer.id, "name": "Alex Buyer", "email": "alex@contacts.example"},
    )
    assert contact.get("type") == "email"
    assert contact.get("value") == "alex@contacts.example"
    assert contact.get("email") == "alex@contacts.example"
    assert contact.get("phone") is None

    moved = await connector.update(Entity.CONTACT, contact.id, {"phone": "+1 555 0199"})
    assert moved.get("type") == "phone"
    assert moved.get("phone") == "+1 555 0199"

    with pytest.raises(ValidationError, match="one mechanism holds one value"):
        await connector.create(
            Entity.CONTACT, {"party": customer.id, "email": "a@b.example", "phone": "1"}
        )

    listed = await connector.query(Entity.CONTACT, eq("party", customer.id))
    assert [record.id for record in listed.records] == [contact.id]
    owner = await connector.get_many(Entity.CUSTOMER, [customer.id])
    assert owner[customer.id].get("phone") == "+1 555 0199"


async def test_projects_are_works_of_type_project(tryton: LiveTryton) -> None:
    connector = tryton.connector
    customer = await connector.create(Entity.CUSTOMER, {"name": f"Client {tag()}"})
    project = await connector.create(
        Entity.PROJECT, {"name": f"Rollout {tag()}", "party": customer.id, "effort_hours": 12.5}
    )
    assert project.get("status_name") == "Open"
    assert project.get("effort_hours") == 12.5
    assert project.get("number")

    task = await connector.rpc.model(
        "project.work", "create", [{"name": "A task", "type": "task", "parent": int(project.id)}]
    )
    task_id = str(task[0])
    assert await connector.get_many(Entity.PROJECT, [task_id]) == {}
    with pytest.raises(NotFoundError):
        await connector.update(Entity.PROJECT, task_id, {"name": "Not a project"})

    found = await connector.query(Entity.PROJECT, eq("party", customer.id))
    assert [record.id for record in found.records] == [project.id]


async def test_write_many_reports_each_operation(tryton: LiveTryton) -> None:
    connector = tryton.connector
    existing = await connector.create(Entity.CUSTOMER, {"name": f"Bulk {tag()}"})
    results = await connector.write_many(
        [
            Create(Entity.CUSTOMER, {"name": f"Bulk new {tag()}"}),
            Update(Entity.CUSTOMER, existing.id, {"name": "Bulk renamed"}, etag="1.0"),
            Update(Entity.CUSTOMER, existing.id, {"name": "Bulk renamed"}),
            Delete(Entity.CUSTOMER, "999999"),
            Create(Entity.CUSTOMER, {"name": 7}),
        ]
    )
    assert [result.ok for result in results] == [True, False, True, False, False]
    assert isinstance(results[1].error, ConflictError)
    assert results[2].record is not None
    assert results[2].record.get("name") == "Bulk renamed"
    assert isinstance(results[3].error, NotFoundError)
    assert isinstance(results[4].error, ValidationError)
