"""`updateTableMapping` (admin): change a mapping's direction, policies, rows, templates,
filters or state, validated against the connected systems before anything is stored."""

from __future__ import annotations

import strawberry

from gateway.auth.roles import Role
from gateway.mappings.validation import MappingValidationError
from gateway.security.inputs import InputRejectedError, require_plain_text
from schema.context import Info
from schema.errors import UserError, UserErrorCode, user_error
from schema.mutations.mapping_input import (
    MappingInputError,
    UpdateTableMappingInput,
    changed_mapping,
    problem_field,
)
from schema.permissions import requires
from schema.types.mappings import TableMapping


@strawberry.type
class UpdateTableMappingPayload:
    table_mapping: TableMapping | None
    user_errors: list[UserError]


def _refused(*errors: UserError) -> UpdateTableMappingPayload:
    return UpdateTableMappingPayload(table_mapping=None, user_errors=list(errors))


@strawberry.type
class MappingMutation:
    @strawberry.mutation(
        permission_classes=requires(Role.ADMIN),
        description="Change a table mapping. Field rows, filters and templates given replace "
        "the stored ones; the result is checked against both systems' entities and fields, "
        "the transforms and the other mappings before it is stored.",
    )
    async def update_table_mapping(
        self, info: Info, input: UpdateTableMappingInput
    ) -> UpdateTableMappingPayload:
        services = info.context.services
        try:
            name = require_plain_text(input.name, "name", max_length=64)
        except InputRejectedError as exc:
            return _refused(user_error(UserErrorCode.INVALID_INPUT, str(exc), "input", "name"))
        current = await services.mappings.get(name)
        if current is None:
            return _refused(
                user_error(
                    UserErrorCode.NOT_FOUND, f"no table mapping is named {name!r}", "input", "name"
                )
            )
        if services.erp is None or services.crm is None:
            return _refused(
                user_error(
                    UserErrorCode.UPSTREAM_UNAVAILABLE,
                    "the ERP and CRM connections must be configured to check a mapping",
                )
            )
        try:
            changed = changed_mapping(current, input)
            saved = await services.mappings.save(
                changed,
                erp=services.erp.entities(),
                crm=services.crm.entities(),
                projects=services.projects.entities() if services.projects else {},
            )
        except MappingInputError as exc:
            return _refused(*exc.errors)
        except MappingValidationError as exc:
            return _refused(
                *(
                    user_error(
                        UserErrorCode.INVALID_INPUT, problem, *problem_field(changed, problem)
                    )
                    for problem in exc.problems
                )
            )
        return UpdateTableMappingPayload(
            table_mapping=TableMapping.from_model(saved, []), user_errors=[]
        )
