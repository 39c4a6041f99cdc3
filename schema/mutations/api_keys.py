"""`createApiKey` and `revokeApiKey` (admin only)."""

from __future__ import annotations

import strawberry

from gateway.auth.keys import ApiKeyError, ApiKeyNameTakenError, ApiKeyStore, validate_name
from gateway.auth.roles import Role
from schema.context import Info
from schema.errors import UserError, UserErrorCode, user_error
from schema.permissions import requires
from schema.types.api_keys import ApiKey


@strawberry.input
class CreateApiKeyInput:
    name: str = strawberry.field(description="Unique: 1 to 64 letters, digits, '.', '_', '-'.")
    role: Role


@strawberry.type
class CreateApiKeyPayload:
    api_key: ApiKey | None
    key: str | None = strawberry.field(
        description="The key itself: shown in this answer only, stored nowhere. Send it as "
        "`Authorization: Bearer <key>`."
    )
    user_errors: list[UserError]


@strawberry.input
class RevokeApiKeyInput:
    name: str


@strawberry.type
class RevokeApiKeyPayload:
    api_key: ApiKey | None
    user_errors: list[UserError]


@strawberry.type
class ApiKeyMutation:
    @strawberry.mutation(
        permission_classes=requires(Role.ADMIN),
        description="Create an API key with a role; the answer carries the key, once.",
    )
    async def create_api_key(self, info: Info, input: CreateApiKeyInput) -> CreateApiKeyPayload:
        store = ApiKeyStore(info.context.services.db)
        try:
            stored, key = await store.create(input.name, Role(input.role))
        except ApiKeyNameTakenError as exc:
            error = user_error(UserErrorCode.CONFLICT, str(exc), "input", exc.field)
            return CreateApiKeyPayload(api_key=None, key=None, user_errors=[error])
        except ApiKeyError as exc:
            error = user_error(UserErrorCode.INVALID_INPUT, str(exc), "input", exc.field)
            return CreateApiKeyPayload(api_key=None, key=None, user_errors=[error])
        return CreateApiKeyPayload(api_key=ApiKey.from_stored(stored), key=key, user_errors=[])

    @strawberry.mutation(
        permission_classes=requires(Role.ADMIN),
        description="Revoke an API key by name: refused from the next request on, everywhere.",
    )
    async def revoke_api_key(self, info: Info, input: RevokeApiKeyInput) -> RevokeApiKeyPayload:
        try:
            name = validate_name(input.name)
        except ApiKeyError as exc:
            error = user_error(UserErrorCode.INVALID_INPUT, str(exc), "input", exc.field)
            return RevokeApiKeyPayload(api_key=None, user_errors=[error])
        revoked = await ApiKeyStore(info.context.services.db).revoke(name)
        if revoked is None:
            error = user_error(
                UserErrorCode.NOT_FOUND, f"no API key is named '{input.name}'", "input", "name"
            )
            return RevokeApiKeyPayload(api_key=None, user_errors=[error])
        return RevokeApiKeyPayload(api_key=ApiKey.from_stored(revoked), user_errors=[])
