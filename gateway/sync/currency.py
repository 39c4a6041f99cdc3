"""The ERP's local currency coupled to the CRM's base currency.

Business Central has no currency record for its local currency (LCY): a customer or a
document in it leaves its currency code blank. A CURRENCY mapping that says
`couple_local_currency` gets one coupling more: the blank code (key "") on the ERP side, the
CRM's base currency on the other. References then translate both ways as for any currency: a
CRM quote in the base currency goes to the ERP with a blank code, an ERP invoice in LCY comes
to the CRM in the base currency. The coupling is made by the mapping's runs, once; where a
system does not say what its home currency is, there is nothing to couple.
"""

from __future__ import annotations

import logging

from adapters.currencies import BaseCurrencySource, LocalCurrencySource
from gateway.mappings.model import TableMapping
from gateway.store.couplings import AlreadyCoupledError, CoupledRecord, Coupling
from gateway.sync.context import SyncContext

log = logging.getLogger(__name__)

LOCAL_CURRENCY_ID = "LCY"  # the ERP side's id in the coupling: it has no record of its own


async def couple_local_currency(ctx: SyncContext, mapping: TableMapping) -> Coupling | None:
    """The coupling of the ERP's local currency, made if missing (None: nothing to couple)."""
    if not mapping.couple_local_currency:
        return None
    erp, crm = ctx.erp, ctx.crm
    if not isinstance(erp, LocalCurrencySource) or not isinstance(crm, BaseCurrencySource):
        return None
    name = mapping.coupling_mapping
    existing = (await ctx.couplings.by_ids(name, "erp", [LOCAL_CURRENCY_ID])).get(LOCAL_CURRENCY_ID)
    if existing is not None:
        return existing
    code, base = await erp.local_currency_code(), await crm.base_currency_id()
    if code is None or base is None:
        return None
    try:
        result = await ctx.couplings.couple(
            name,
            CoupledRecord(erp.system, mapping.erp_entity, LOCAL_CURRENCY_ID, key=""),
            CoupledRecord(crm.system, mapping.crm_entity, base, key=code),
            replace_existing=False,
        )
    except AlreadyCoupledError as exc:
        # The base currency is coupled to a currency record of the ERP already: it stays so.
        log.info("the local currency %s is not coupled: %s", code, exc)
        return None
    log.info("%s: the local currency %s is coupled to the CRM's base currency", name, code)
    return result.coupling
