"""Every lifecycle operation by name: how the API starts one and the worker resumes one."""

from __future__ import annotations

from gateway.workflows import invoices, orders, projects, quote_decisions, quotes
from gateway.workflows.engine import Definition

DEFINITIONS: dict[str, Definition] = {
    definition.operation: definition
    for definition in (
        *quotes.DEFINITIONS,
        *quote_decisions.DEFINITIONS,
        *projects.DEFINITIONS,
        *orders.DEFINITIONS,
        *invoices.DEFINITIONS,
    )
}


def definition(operation: str) -> Definition:
    return DEFINITIONS[operation]
