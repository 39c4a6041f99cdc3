"""The coupling tests use the API tests' fixtures: the API wired to the sandbox."""

from __future__ import annotations

from tests.api.conftest import api, api_settings, store

__all__ = ["api", "api_settings", "store"]
