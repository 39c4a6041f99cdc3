"""Connector errors as the engine handles them, wherever they come from.

Connectors raise their own error classes; code of ours that runs several connector calls in a
task group receives them wrapped in an exception group. `connector_error` finds the connector's
error either way, so that an outage is reported as one (UPSTREAM_UNAVAILABLE, a FAILED run) and
not as an internal error."""

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
