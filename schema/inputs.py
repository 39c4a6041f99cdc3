"""Ids that mutation inputs give for records of either system, checked before any work."""

from __future__ import annotations

from typing import Literal

from gateway.refusals import RefusalCode, refuse
from gateway.security.inputs import InputRejectedError, record_id
from schema.context import Info


def side_record_id(
    info: Info, side: Literal["crm", "erp"], value: str | None, field: str
) -> str | None:
    """`value` as an id of a record in the CRM or the ERP (None stays None); refused with the
    input field named when it is not one, or when that system is not configured."""
    if value is None:
        return None
    services = info.context.services
    connector = services.erp if side == "erp" else services.crm
    if connector is None:
        raise refuse(
            RefusalCode.UPSTREAM_UNAVAILABLE, f"the {side.upper()} connection is not configured"
        )
    try:
        return str(record_id(connector.capabilities.id_kind, value, field))
    except InputRejectedError as exc:
        raise refuse(RefusalCode.INVALID_INPUT, str(exc), *exc.field) from None
