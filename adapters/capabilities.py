"""What a connector can do, declared as data: the core plans with these declarations and
never asks which system it is talking to.

A new system declares its `Capabilities` on its connector (`connector.capabilities`); the
gateway reads ids, pages listings, creates records and reads customers accordingly.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class IdKind(StrEnum):
    """The shape of a system's record ids, so that malformed ones are refused at the door."""

    GUID = "guid"  # Dataverse, Business Central
    INTEGER = "integer"  # Tryton
    TEXT = "text"  # anything else: at most 200 printable characters


@dataclass(frozen=True, slots=True)
class CustomerFields:
    """Where an ERP keeps each fact of a customer (None: it has no such field)."""

    number: str
    name: str
    email: str | None
    phone: str | None
    website: str | None
    city: str | None
    salesperson_code: str | None
    # Business Central refuses `or` between different fields of a `$filter`; a search then
    # looks in the one field that the text suggests.
    search_across_fields: bool


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What the core may rely on when it speaks to one system."""

    label: str  # the name a person knows the system by, for messages
    id_kind: IdKind
    # Pages come in key order and can start after a given key (`key gt`), so a listing that
    # drops coupled rows reads on from where it stopped instead of re-reading from the top.
    keyed_paging: bool = False
    # `create` accepts the id the caller chooses: a record the gateway creates gets an id
    # derived from its source, so that a repeated creation finds the first one.
    caller_ids: bool = False
    # `write_many` writes the new records of one call parents first, before its changes to
    # existing records: a call may create a tree whose records name their parents by the ids
    # the caller chose for them (a Project Server draft).
    writes_parents_first: bool = False
    # Ids one "field in (...)" read may carry; `get_where` splits larger lists itself.
    max_ids_per_request: int = 200
    # For an ERP: where a customer's facts are, for the accounts and customers pages.
    customer_fields: CustomerFields | None = None
