"""Tryton, the open-source ERP, over its JSON-RPC protocol.

`TrytonConnector(TrytonConfig(url, database, user, password), httpx.AsyncClient())` serves the
canonical ERP entities (customer, contact, quote, sales order and their lines, project, invoice,
customer statistics, currency, item, unit of measure, salesperson) from a Tryton 8 server with
the party, company, currency, account, account_invoice, product, sale and project modules.
Nothing here imports trytond: the connector speaks the wire protocol only.
"""

from __future__ import annotations

from adapters.tryton.catalogue import ENTITIES
from adapters.tryton.config import TrytonConfig
from adapters.tryton.connector import TrytonConnector

__all__ = ["ENTITIES", "TrytonConfig", "TrytonConnector"]
