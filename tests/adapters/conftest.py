"""Fixtures of the adapter tests; each system keeps its own in a module of its own."""

from __future__ import annotations

from tests.adapters.tryton_server import tryton, tryton_server

__all__ = ["tryton", "tryton_server"]
