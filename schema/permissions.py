"""Role checks on fields: every mutation declares the role it needs.

    @strawberry.mutation(permission_classes=requires(Role.INTEGRATOR))

Over HTTP, every field a request selects is checked before any of it runs, in every operation
of a batch (`schema.preflight`): a request with one field beyond the caller's role runs
nothing. The check before each resolver stays for every other way in (`schema.execute`).
"""

from __future__ import annotations

from typing import Any, ClassVar

from graphql import GraphQLError
from strawberry.permission import BasePermission
from strawberry.types.field import StrawberryField

from gateway.auth.roles import Caller, Role
from schema.context import Info


def role_refusal(caller: Caller | None, role: Role) -> GraphQLError | None:
    """The error that refuses `caller` what needs `role`, or None if the caller may."""
    if caller is None:
        return GraphQLError("Authentication required", extensions={"code": "UNAUTHENTICATED"})
    if not caller.role.allows(role):
        return GraphQLError(
            f"This operation needs the {role.value} role; "
            f"the key '{caller.name}' has {caller.role.value}",
            extensions={"code": "FORBIDDEN"},
        )
    return None


def ensure_role(info: Info, role: Role) -> None:
    """Refuse unless the caller has `role` (or a higher one); for checks inside resolvers,
    such as a node fetched by id that only some roles may see."""
    refusal = role_refusal(info.context.caller, role)
    if refusal is not None:
        raise refusal


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
