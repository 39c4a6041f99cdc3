"""Role checks on fields: every mutation declares the role it needs.

    @strawberry.mutation(permission_classes=requires(Role.INTEGRATOR))

The check runs before the resolver, so a refused call never reaches a backend.
"""

from __future__ import annotations

from typing import Any, ClassVar

from graphql import GraphQLError
from strawberry.permission import BasePermission
from strawberry.types.field import StrawberryField

from gateway.auth.roles import Role
from schema.context import Info


def ensure_role(info: Info, role: Role) -> None:
    """Refuse unless the caller has `role` (or a higher one); for checks inside resolvers,
    such as a node fetched by id that only some roles may see."""
    caller = info.context.caller
    if caller is None:
        raise GraphQLError("Authentication required", extensions={"code": "UNAUTHENTICATED"})
    if not caller.role.allows(role):
        raise GraphQLError(
            f"This operation needs the {role.value} role; "
            f"the key '{caller.name}' has {caller.role.value}",
            extensions={"code": "FORBIDDEN"},
        )


class RoleRequirement(BasePermission):
    """Base of the per-role permission classes; `role` is what the field needs.

    Strawberry builds one instance per field and shares it between requests, so the refusal
    is raised with its own message instead of being stored on the instance."""

    role: ClassVar[Role]

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        ensure_role(info, self.role)
        return True


def _requirement(role: Role) -> type[RoleRequirement]:
    return type(f"Requires{role.value.title()}", (RoleRequirement,), {"role": role})


_REQUIREMENTS = {role: _requirement(role) for role in Role}


def requires(role: Role) -> list[type[BasePermission]]:
    return [_REQUIREMENTS[role]]


def required_role(field: StrawberryField) -> Role | None:
    """The role a field declares with `requires`, or None if it declares none."""
    roles = [
        permission.role
        for permission in field.permission_classes
        if isinstance(permission, type) and issubclass(permission, RoleRequirement)
    ]
    return max(roles, key=lambda role: role.rank) if roles else None
