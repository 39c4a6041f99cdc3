"""The workflow instances that acted on documents: one MongoDB query for many documents.

An instance acted on a document when its input named it (`crmQuoteId`, ...) or when it
answered it among its documents (`crmQuote`, `erpQuote`, ...); see
`gateway.workflows.instances` for the shape of an instance.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from adapters.documents import DocumentKind
from gateway.workflows.instances import COLLECTION, WorkflowInstance

# Per kind: (the names a workflow gives its documents, the input fields naming one).
_NAMES: Mapping[DocumentKind, tuple[tuple[str, ...], tuple[str, ...]]] = {
    DocumentKind.QUOTE: (("crmQuote", "erpQuote"), ("crmQuoteId", "erpQuoteId")),
    DocumentKind.SALES_ORDER: (("crmOrder", "erpOrder"), ("crmOrderId",)),
    DocumentKind.INVOICE: (("crmInvoice", "erpInvoice"), ("erpInvoiceId",)),
    DocumentKind.PROJECT: (("crmProject", "erpProject"), ()),
}
MAX_INSTANCES = 1000  # per call: a document is moved by a handful of operations


async def instances_acting_on(
    db: AsyncDatabase[dict[str, Any]], kind: DocumentKind, ids: Sequence[str]
) -> dict[str, list[WorkflowInstance]]:
    """Instances that acted on each id (of either system's record), newest first."""
    wanted = list(dict.fromkeys(ids))
    found: dict[str, list[WorkflowInstance]] = {key: [] for key in wanted}
    names = _NAMES.get(kind)
    if names is None or not wanted:
        return found
    documents, inputs = names
    clauses = [{f"documents.{name}.id": {"$in": wanted}} for name in documents]
    clauses += [{f"input.{name}": {"$in": wanted}} for name in inputs]
    cursor = db[COLLECTION].find({"$or": clauses}).sort("_id", -1).limit(MAX_INSTANCES)
    async for doc in cursor:
        instance = WorkflowInstance.from_doc(doc)
        named = {
            str((instance.documents.get(name) or {}).get("id") or "") for name in documents
        } | {str(instance.input.get(name) or "") for name in inputs}
        for key in wanted:
            if key in named:
                found[key].append(instance)
    return found
