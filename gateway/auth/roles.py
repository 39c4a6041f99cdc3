"""Roles of API keys; each role may do everything the roles below it may."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    READER = "reader"  # queries
    INTEGRATOR = "integrator"  # + couple, synchronize, lifecycle mutations
    ADMIN = "admin"  # + mappings, job queue, API keys

    @property
    def rank(self) -> int:
        return _RANKS[self]

    def allows(self, required: Role) -> bool:
        return self.rank >= required.rank


_RANKS = {Role.READER: 0, Role.INTEGRATOR: 1, Role.ADMIN: 2}


@dataclass(frozen=True, slots=True)
class Caller:
    """The authenticated caller of a request: which key, which role."""

    key_id: str
    name: str
    role: Role
