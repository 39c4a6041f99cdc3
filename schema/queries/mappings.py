"""`tableMappings` and `tableMapping(name)`: the mappings, each with its problems, if any."""

from __future__ import annotations

import strawberry

from gateway.mappings.health import check_mappings
from gateway.security.inputs import InputRejectedError, require_plain_text
from schema.context import Info
from schema.errors import InvalidArgumentError
from schema.types.mappings import TableMapping


@strawberry.type
class MappingQuery:
    @strawberry.field(description="Every table mapping, in dependency order.")
    async def table_mappings(self, info: Info) -> list[TableMapping]:
        services = info.context.services
        health = check_mappings(await services.mappings.all(), erp=services.erp, crm=services.crm)
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
        mappings = await services.mappings.all()
        if not any(mapping.name == wanted for mapping in mappings):
            return None
        health = check_mappings(mappings, erp=services.erp, crm=services.crm)
        mapping = next(m for m in health.mappings if m.name == wanted)
        return TableMapping.from_model(mapping, health.problems.get(wanted, []))
