"""The ERP dialects: Tryton's states in the lifecycles' common words, its buttons for the
common actions, its invoice amounts for the payment status; Business Central's unchanged."""

from __future__ import annotations

import pytest

from adapters import systems
from gateway.refusals import RefusalError
from gateway.workflows import states
from gateway.workflows.dialects import ErpDialect, TrytonDialect, dialect_of
from gateway.workflows.payments import paid_status

TRYTON = TrytonDialect()


def test_the_dialect_follows_the_erp_connector() -> None:
    assert isinstance(dialect_of(systems.TRYTON), TrytonDialect)
    assert type(dialect_of(systems.BUSINESS_CENTRAL)) is ErpDialect


@pytest.mark.parametrize(
    ("state", "word"),
    [
        ("draft", "Open"),
        ("quotation", "Approved"),
        ("cancelled", "Rejected"),
        ("confirmed", "Accepted"),
        ("processing", "Accepted"),
        ("done", "Accepted"),
    ],
)
def test_a_tryton_sale_reads_as_a_quote_in_the_common_words(state: str, word: str) -> None:
    assert TRYTON.quote_state({"state": state}) == word
    assert TRYTON.quote_state(None) == states.ABSENT


def test_tryton_orders_and_invoices_in_the_common_words() -> None:
    assert TRYTON.order_state({"state": "confirmed", "shipment_state": "none"}) == "Open"
    assert TRYTON.order_state({"state": "processing", "shipment_state": "sent"}) == "Shipped"
    assert TRYTON.order_state({"state": "draft"}) == "Draft"
    assert [
        TRYTON.invoice_state({"state": s})
        for s in ("draft", "validated", "posted", "paid", "cancelled")
    ] == ["Draft", "Draft", "Open", "Paid", "Canceled"]


def test_common_actions_are_tryton_buttons_and_archiving_is_not_one() -> None:
    assert [TRYTON.action(a) for a in ("approve", "reject", "reopen", "release", "confirm")] == [
        "quote",
        "cancel",
        "draft",
        "quote",
        "confirm",
    ]
    assert not TRYTON.keeps_versions
    with pytest.raises(RefusalError, match="Tryton has no equivalent of 'archive'"):
        TRYTON.action("archive")
    with pytest.raises(RefusalError, match="not available with Tryton") as refused:
        TRYTON.require("transferQuoteToProject")
    assert refused.value.code == "INVALID_TRANSITION"
    ErpDialect().require("transferQuoteToProject")  # Business Central has it


def test_the_payment_status_of_a_tryton_invoice() -> None:
    def tryton(state: str, total: float, to_pay: float) -> int | None:
        values = {"state": state, "total_amount": total, "amount_to_pay": to_pay}
        return paid_status(values, TRYTON)

    assert tryton("posted", 300.0, 300.0) is None
    assert tryton("posted", 300.0, 120.0) == states.PAID_PARTIAL
    assert tryton("paid", 300.0, 0.0) == states.PAID_COMPLETE
    bc = {"status": "Open", "totalAmountIncludingTax": 300.0, "remainingAmount": 100.0}
    assert paid_status(bc) == states.PAID_PARTIAL
