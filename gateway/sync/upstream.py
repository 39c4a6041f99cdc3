"""Connector errors as the engine handles them, wherever they come from.

Connectors read many ids with concurrent requests in a task group, so a failure may arrive
wrapped in an exception group; `connector_error` finds the connector's own error inside, so
that an outage is reported as one (UPSTREAM_UNAVAILABLE, a FAILED run) and not as an internal
error."""

from __future__ import annotations

from adapters.errors import ConnectorError


def connector_error(exc: BaseException) -> ConnectorError | None:
    if isinstance(exc, ConnectorError):
        return exc
    if isinstance(exc, BaseExceptionGroup):
        for inner in exc.exceptions:
            found = connector_error(inner)
            if found is not None:
                return found
    return None


def raise_connector_error(exc: BaseException) -> None:
    """Re-raise the connector error inside `exc`, if there is one."""
    found = connector_error(exc)
    if found is not None and found is not exc:
        raise found from exc
