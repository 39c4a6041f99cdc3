"""Parties as customers and their contact mechanisms as contacts.

In Tryton a party's e-mail, phone and website are *contact mechanisms* (records of their own,
one value each) and its city is on its *addresses*. The customer entity flattens them: the
party's first mechanism of each type and its first address (by sequence) give `email`,
`phone`, `website` and `city`, `street`, `postal_code`, `country_code`. Writes change those
same records, or create them, in the party's own write: one transaction, and the party's
timestamp (its etag) moves with them.

The contact entity is the contact mechanism itself: the people one reaches at a customer are
its named mechanisms (`name` says who, `party` is the customer; `named` says whether a
mechanism has a name, and filters on it). A Tryton party may also be a
person, but without the party relationship module nothing links that person to a company, and
the link is what a CRM contact needs. A CRM contact with both an e-mail and a phone maps to one
mechanism per channel; the `email`, `phone` and `website` values of a contact are its `value`
when its type is that one, and writing one of them sets the type and the value together.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from adapters.errors import ValidationError
from adapters.tryton.entities import EntityDef, Shape
from adapters.tryton.rpc import TrytonRPC

MECHANISM_TYPES = ("email", "phone", "website")
ADDRESS_VALUES = ("city", "street", "postal_code", "country_code")
# Where each address value is read and written in party.address.
_ADDRESS_READS = {
    "city": "city",
    "street": "street",
    "postal_code": "postal_code",
    "country_code": "country.code",
}
_ADDRESS_WRITES = {"city": "city", "street": "street_unstructured", "postal_code": "postal_code"}


class CustomerShape(Shape):
    async def enrich(
        self,
        rpc: TrytonRPC,
        entity: EntityDef,
        rows: Sequence[Mapping[str, Any]],
        values: Sequence[dict[str, Any]],
        wanted: frozenset[str],
    ) -> None:
        asked = [name for name in ADDRESS_VALUES if name in wanted]
        if not asked or not rows:
            return
        addresses = await rpc.model(
            "party.address",
            "search_read",
            [["party", "in", [row["id"] for row in rows]]],
            0,
            None,
            [["party", "ASC"], ["sequence", "ASC"], ["id", "ASC"]],
            ["party", *_ADDRESS_READS.values()],
        )
        first: dict[int, Mapping[str, Any]] = {}
        for address in addresses:
            first.setdefault(address["party"], address)
        for row, record_values in zip(rows, values, strict=True):
            address = first.get(row["id"], {})
            for name in asked:
                record_values[name] = _address_value(address, name)

    async def prepare_create(
        self, rpc: TrytonRPC, entity: EntityDef, shaped: Mapping[str, Any], tryton: dict[str, Any]
    ) -> None:
        for kind in MECHANISM_TYPES:
            if shaped.get(kind):
                # The party's own setter creates the mechanism of a new party.
                tryton[kind] = shaped[kind]
        address = await _address_values(rpc, entity, shaped)
        if address:
            tryton["addresses"] = [["create", [address]]]

    async def prepare_write(
        self,
        rpc: TrytonRPC,
        entity: EntityDef,
        record_id: int,
        shaped: Mapping[str, Any],
        tryton: dict[str, Any],
    ) -> None:
        kinds = [kind for kind in MECHANISM_TYPES if kind in shaped]
        if kinds:
            tryton["contact_mechanisms"] = await _mechanism_operations(
                rpc, record_id, {kind: shaped[kind] for kind in kinds}
            )
        address = await _address_values(rpc, entity, shaped)
        if address:
            existing = await rpc.model(
                "party.address",
                "search_read",
                [["party", "=", record_id]],
                0,
                1,
                [["sequence", "ASC"], ["id", "ASC"]],
                ["id"],
            )
            if existing:
                tryton["addresses"] = [["write", [existing[0]["id"]], address]]
            else:
                tryton["addresses"] = [["create", [address]]]


def _address_value(address: Mapping[str, Any], name: str) -> Any:
    path = _ADDRESS_READS[name]
    if "." in path:
        head, tail = path.split(".", 1)
        related = address.get(f"{head}.")
        return related.get(tail) if isinstance(related, Mapping) else None
    return address.get(path) or None


async def _address_values(
    rpc: TrytonRPC, entity: EntityDef, shaped: Mapping[str, Any]
) -> dict[str, Any]:
    address = {
        _ADDRESS_WRITES[name]: shaped[name] or None for name in _ADDRESS_WRITES if name in shaped
    }
    if "country_code" in shaped:
        address["country"] = await _country_id(rpc, entity, shaped["country_code"])
    return address


async def _country_id(rpc: TrytonRPC, entity: EntityDef, code: str | None) -> int | None:
    if not code:
        return None
    found = await rpc.model("country.country", "search", [["code", "=", code.upper()]], 0, 1, None)
    if not found:
        raise ValidationError(
            f"{entity.name}.country_code: {code!r} is not a country code known to the server",
            system="tryton",
        )
    return int(found[0])


async def _mechanism_operations(
    rpc: TrytonRPC, party_id: int, wanted: Mapping[str, str | None]
) -> list[list[Any]]:
    """One2Many operations that make the party's first mechanism of each type hold `wanted`."""
    existing = await rpc.model(
        "party.contact_mechanism",
        "search_read",
        [["party", "=", party_id], ["type", "in", list(wanted)]],
        0,
        None,
        [["sequence", "ASC"], ["id", "ASC"]],
        ["type", "value"],
    )
    first: dict[str, Mapping[str, Any]] = {}
    for mechanism in existing:
        first.setdefault(mechanism["type"], mechanism)
    operations: list[list[Any]] = []
    created: list[dict[str, Any]] = []
    for kind, value in wanted.items():
        current = first.get(kind)
        if current is None:
            if value:
                created.append({"type": kind, "value": value})
        elif not value:
            operations.append(["delete", [current["id"]]])
        elif current.get("value") != value:
            operations.append(["write", [current["id"]], {"value": value}])
    if created:
        operations.append(["create", created])
    return operations


class ContactShape(Shape):
    """Contact mechanisms: `email`/`phone`/`website` are the value of a mechanism of that type."""

    extra_reads = ("type", "value", "name")

    async def enrich(
        self,
        rpc: TrytonRPC,
        entity: EntityDef,
        rows: Sequence[Mapping[str, Any]],
        values: Sequence[dict[str, Any]],
        wanted: frozenset[str],
    ) -> None:
        for row, record_values in zip(rows, values, strict=True):
            if "named" in wanted:
                record_values["named"] = bool(row.get("name"))
            for kind in MECHANISM_TYPES:
                if kind in wanted:
                    record_values[kind] = row.get("value") or None if row["type"] == kind else None

    async def prepare_create(
        self, rpc: TrytonRPC, entity: EntityDef, shaped: Mapping[str, Any], tryton: dict[str, Any]
    ) -> None:
        self._typed_value(entity, shaped, tryton)

    async def prepare_write(
        self,
        rpc: TrytonRPC,
        entity: EntityDef,
        record_id: int,
        shaped: Mapping[str, Any],
        tryton: dict[str, Any],
    ) -> None:
        self._typed_value(entity, shaped, tryton)

    @staticmethod
    def _typed_value(entity: EntityDef, shaped: Mapping[str, Any], tryton: dict[str, Any]) -> None:
        given = [kind for kind in MECHANISM_TYPES if shaped.get(kind)]
        if len(given) > 1:
            raise ValidationError(
                f"{entity.name}: one mechanism holds one value; got {', '.join(given)}",
                system="tryton",
            )
        if given:
            kind = given[0]
            if "type" in tryton and tryton["type"] != kind:
                raise ValidationError(
                    f"{entity.name}.type: {tryton['type']!r} contradicts the {kind} given",
                    system="tryton",
                )
            tryton["type"] = kind
            tryton["value"] = shaped[kind]
