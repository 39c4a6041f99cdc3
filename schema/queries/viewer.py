"""`viewer`: who the caller is, so that a client offers only what the caller's role allows."""

from __future__ import annotations

import strawberry
from graphql import GraphQLError

from schema.context import Info
from schema.types.enums import Role


@strawberry.type(description="The API key making the request.")
class Viewer:
    name: str
    role: Role


@strawberry.type
class ViewerQuery:
    @strawberry.field(description="The caller: the API key's name and role.")
    def viewer(self, info: Info) -> Viewer:
        caller = info.context.caller
        if caller is None:
            raise GraphQLError("Authentication required", extensions={"code": "UNAUTHENTICATED"})
        return Viewer(name=caller.name, role=caller.role)
