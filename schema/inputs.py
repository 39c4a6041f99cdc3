"""Ids that mutation inputs give for records of either system, checked before any work."""

from __future__ import annotations

from typing import Literal

from gateway.security.inputs import InputRejectedError, record_id
from schema.context import Info
from schema.errors import UserError, UserErrorCode, user_error


class InputRefusedError(Exception):
    """An input the mutation answers with a user error, before its first write."""

    def __init__(self, error: UserError) -> None:
        super().__init__(error.message)
        self.error = error


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
        raise InputRefusedError(
            user_error(
                UserErrorCode.UPSTREAM_UNAVAILABLE,
                f"the {side.upper()} connection is not configured",
            )
        )
    try:
        return str(record_id(connector.system, value, field))
    except InputRejectedError as exc:
        raise InputRefusedError(
            user_error(UserErrorCode.INVALID_INPUT, str(exc), "input", *exc.field)
        ) from None
