"""The systems the connectors speak to, by the id each connector and its errors carry, and
the name a person knows each by (for messages)."""

from __future__ import annotations

DATAVERSE = "dataverse"
BUSINESS_CENTRAL = "business_central"
TRYTON = "tryton"
PROJECT_SERVER = "project_server"
MEMORY = "memory"  # the in-memory test double

_LABELS = {
    DATAVERSE: "Dynamics 365 Sales",
    BUSINESS_CENTRAL: "Business Central",
    TRYTON: "Tryton",
    PROJECT_SERVER: "Project Server",
}


def system_label(system: str) -> str:
    """'Dynamics 365 Sales' for 'dataverse'; an unknown system is named by its id."""
    return _LABELS.get(system, system)
