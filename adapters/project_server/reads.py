"""Reading Project Server through its reporting feed (`_api/ProjectData/`).

The feed shows what is published, as flat rows with a modified date per row, and answers
OData v3 `$filter`, `$orderby`, `$top` and `$skip` with server-driven paging. Incremental
reads ask for rows modified at or after the watermark (see `adapters.odata.watermark`).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

from adapters.base import ChangeBatch, Record
from adapters.errors import ValidationError
from adapters.filters import And, Filter, In, Not, Or
from adapters.odata.query import check_identifier, parse_datetime, render_filter
from adapters.odata.watermark import Watermark
from adapters.project_server.entities import FEEDS, Feed
from adapters.project_server.session import CustomField, Session, next_link, values

_GUID = re.compile(
    r"(?<!')\b([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\b(?!')"
)
_ENTITY_TYPES = {"project": "Project", "task": "Task", "resource": "Resource"}
HOURS_PER_DAY = 8.0


class FeedReader:
    def __init__(self, session: Session, system: str) -> None:
        self.session = session
        self.system = system

    async def _custom(self, entity: str) -> dict[str, str]:
        """Reporting column -> custom field display name, for `entity`."""
        fields: dict[str, CustomField] = await self.session.custom_fields()
        kind = _ENTITY_TYPES.get(entity)
        return {re.sub(r"\s+", "", f.name): f.name for f in fields.values() if f.entity == kind}

    def record(self, entity: str, row: dict[str, Any], custom: dict[str, str]) -> Record:
        feed = FEEDS[entity]
        found: dict[str, Any] = {}
        for name, column in feed.columns.items():
            value = row.get(column)
            if name in feed.days and isinstance(value, int | float):
                value = value / HOURS_PER_DAY
            found[name] = value
        for column, name in custom.items():
            found[name] = row.get(column)
        return Record(
            system=self.system,
            entity=entity,
            id=str(found["Id"]),
            values=found,
            modified_on=parse_datetime(row.get(feed.modified)),
        )

    def column(self, feed: Feed, name: str, custom: dict[str, str]) -> str:
        if name in feed.columns:
            return feed.columns[name]
        for column, display in custom.items():
            if display == name:
                return column
        raise ValidationError(f"{feed.entity_set}: unknown field {name!r}", system=self.system)

    def render(self, entity: str, node: Filter, custom: dict[str, str]) -> str:
        """A filter on record fields as a v3 `$filter` on reporting columns."""
        feed = FEEDS[entity]
        text = render_filter(
            _renamed(node, lambda name: self.column(feed, name, custom)),
            system=self.system,
            is_guid_field=lambda name: name.endswith("Id"),
        )
        return _GUID.sub(r"guid'\1'", text)

    async def pages(
        self, entity: str, params: list[tuple[str, str]], *, doing: str
    ) -> AsyncIterator[tuple[list[Record], str | None]]:
        custom = await self._custom(entity)
        url: str | None = f"ProjectData/{FEEDS[entity].entity_set}?{urlencode(params)}"
        while url is not None:
            data = await self.session.get(url, doing=doing)
            url = next_link(data)
            yield [self.record(entity, row, custom) for row in values(data)], url

    async def where(
        self,
        entity: str,
        node: Filter | None,
        *,
        top: int | None = None,
        skip: int = 0,
        order_by: Sequence[str] = (),
    ) -> tuple[list[Record], str | None]:
        custom = await self._custom(entity)
        feed = FEEDS[entity]
        params: list[tuple[str, str]] = []
        if node is not None:
            params.append(("$filter", self.render(entity, node, custom)))
        order = [self._order(feed, item, custom) for item in order_by] or [feed.key]
        params.append(("$orderby", ",".join(order)))
        if top is not None:
            params.append(("$top", str(top)))
        if skip:
            params.append(("$skip", str(skip)))
        async for page, following in self.pages(entity, params, doing=f"read {entity} rows"):
            return page, following
        return [], None

    async def every(self, entity: str, node: Filter) -> list[Record]:
        """Every row matching `node`, all pages."""
        custom = await self._custom(entity)
        params = [("$filter", self.render(entity, node, custom)), ("$orderby", FEEDS[entity].key)]
        found: list[Record] = []
        async for page, _ in self.pages(entity, params, doing=f"read {entity} rows"):
            found += page
        return found

    def _order(self, feed: Feed, item: str, custom: dict[str, str]) -> str:
        name, _, direction = item.partition(" ")
        column = self.column(feed, check_identifier(name, system=self.system), custom)
        return f"{column} {direction}".strip()

    async def by_ids(self, entity: str, ids: Sequence[str]) -> dict[str, Record]:
        found: dict[str, Record] = {}
        wanted = list(dict.fromkeys(i.lower() for i in ids))
        for start in range(0, len(wanted), 40):  # ~40 guid clauses keep a URL under 2,048
            chunk = wanted[start : start + 40]
            params = [("$filter", self.render(entity, In("Id", tuple(chunk)), {}))]
            async for page, _ in self.pages(entity, params, doing=f"read {len(chunk)} {entity}s"):
                found.update({r.id: r for r in page})
        return found

    async def changes(self, entity: str, token: str | None) -> AsyncIterator[ChangeBatch]:
        feed = FEEDS[entity]
        mark = Watermark.decode(token, system=self.system) if token else Watermark()
        params: list[tuple[str, str]] = []
        if mark.at:
            params.append(("$filter", f"{feed.modified} ge datetime'{mark.at}'"))
        # The feed pages at its own size (100 rows); `page_size` cannot make it larger.
        params.append(("$orderby", f"{feed.modified},{feed.key}"))
        doing = f"read changed {entity} rows"
        async for page, following in self.pages(entity, params, doing=doing):
            fresh = [record for record in page if mark.is_new(record)]
            stamps = {r.id: str(r.values.get("ModifiedDate")) for r in page}
            mark = mark.advance(page, stamps)
            yield ChangeBatch(fresh, [], mark.encode(), following is None)


def _renamed(node: Filter, rename: Callable[[str], str]) -> Filter:
    """`node` with every field name passed through `rename`."""
    if isinstance(node, And | Or):
        return type(node)(tuple(_renamed(part, rename) for part in node.parts))
    if isinstance(node, Not):
        return Not(_renamed(node.part, rename))
    return replace(node, field=rename(node.field))
