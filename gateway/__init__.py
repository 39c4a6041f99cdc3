"""The ERP–CRM integration gateway: core services, settings, store and wiring."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("erp-crm-gateway")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"
