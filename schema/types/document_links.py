"""Following the links between documents: the order a quote became, an order's invoices, the
project made from a quote, an opportunity's quotes.

A link is declared per system (`adapters.documents.DocumentFields`: `quote`, `order`,
`project`, `opportunity`). *Forward*, a document's own link field names the other document
(an invoice's order); *back*, the other documents' link fields name this one (an order's
invoices). Each system's side is followed where it declares the link, and the documents found
are merged with their counterparts, so a link known to one system only still reaches both
records.
"""

from __future__ import annotations

from adapters.documents import DocumentFields, DocumentKind, Link
from gateway.documents.merged import Merged, newest_first
from gateway.types import SideName
from schema.context import Info

SIDES: tuple[SideName, SideName] = ("crm", "erp")


def link_named(fields: DocumentFields | None, name: str) -> Link | None:
    """The link `name` of a declaration ("opportunity" is a plain id field)."""
    value = getattr(fields, name) if fields is not None else None
    if isinstance(value, str):
        return Link(value)
    return value if isinstance(value, Link) else None


async def forward(info: Info, source: Merged, target: DocumentKind, name: str) -> list[Merged]:
    """Documents of `target` that `source`'s link `name` names, on each side that has it."""
    documents = info.context.loaders.documents
    catalogues = documents.catalogues
    found: dict[str, Merged] = {}
    for side in SIDES:
        view = source.side(side)
        declared = link_named(catalogues.fields(side, source.kind), name)
        if view is None or declared is None:
            continue
        if declared.by == "number":
            loader = documents.numbered(target, side)
            pending = loader.load_many(view.linked(declared.field))
            for matched in await documents.found_many(info, pending):
                for document in matched:
                    found.setdefault(document.key, document)
            continue
        if declared.by == "self":
            target_fields = catalogues.fields(side, target)
            same = target_fields is not None and view.record.entity in target_fields.entities
            keys = [view.id] if same else []
        else:
            keys = view.linked(declared.field)
        by_id = documents.by_id(target, side)
        for each in await documents.found_many(info, by_id.load_many(keys)):
            if each is not None:
                found.setdefault(each.key, each)
    return newest_first(found.values())


async def back(info: Info, source: Merged, target: DocumentKind, name: str) -> list[Merged]:
    """Documents of `target` whose link `name` names `source`, newest first."""
    documents = info.context.loaders.documents
    catalogues = documents.catalogues

    def link_of(side: SideName) -> Link | None:
        return link_named(catalogues.fields(side, target), name)

    return await documents.found(info, documents.linked(target, link_of, name).load(source))


async def first_linked(
    info: Info, source: Merged, target: DocumentKind, name: str, *, backwards: bool = False
) -> Merged | None:
    found = await (back if backwards else forward)(info, source, target, name)
    return found[0] if found else None
