"""`tableMappings` and `tableMapping(name)`: the mappings, each with its problems, if any."""

from __future__ import annotations

import strawberry

from gateway.security.inputs import InputRejectedError, require_plain_text
from schema.context import Info
from schema.errors import InvalidArgumentError
from schema.types.mappings import TableMapping


@strawberry.type
class MappingQuery:
    @strawberry.field(description="Every table mapping, in dependency order.")
    async def table_mappings(self, info: Info) -> list[TableMapping]:
        health = await info.context.services.mapping_health()
        return [
            TableMapping.from_model(mapping, health.problems.get(mapping.name, []))
            for mapping in health.mappings
        ]

    @strawberry.field(description="One table mapping by name (CUSTOMER, CONTACT, ...).")
    async def table_mapping(self, info: Info, name: str) -> TableMapping | None:
        try:
            wanted = require_plain_text(name, "name", max_length=64)
        except InputRejectedError as exc:
            raise InvalidArgumentError("name", exc.reason) from None
        services = info.context.services
        found = await services.mappings.get(wanted)  # names match whatever their case
        if found is None:
            return None
        health = await services.mapping_health()
        mapping = next(m for m in health.mappings if m.name == found.name)
        return TableMapping.from_model(mapping, health.problems.get(mapping.name, []))
