"""Where each side keeps its home currency, for connectors whose systems have one.

Business Central keeps no currency record for its local currency (LCY): a customer or a
document in it leaves its currency code blank, and the company's information names it.
Dataverse keeps a transaction currency record for everything and names one of them the
organization's base currency. The gateway couples the two (the CURRENCY mapping's
`couple_local_currency`), so that a document in the base currency goes to the ERP in LCY and
back; a connector whose system has a record for every currency implements neither protocol.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable


@runtime_checkable
class LocalCurrencySource(Protocol):
    """An ERP whose local currency has no record: documents in it leave the code blank."""

    async def local_currency_code(self) -> str | None:
        """The ISO code of the local currency (None: the ERP does not say)."""
        ...


@runtime_checkable
class BaseCurrencySource(Protocol):
    """A CRM that names one of its currency records the base currency."""

    async def base_currency_id(self) -> str | None:
        """The id of the base currency's record (None: the CRM does not say)."""
        ...
