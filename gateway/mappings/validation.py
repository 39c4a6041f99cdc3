"""Checks a set of table mappings against the connectors' entity catalogues, the transforms
registry and each other, so that a bad mapping is refused when saved (and at start-up) with a
message that names what is wrong, instead of failing record by record later."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

from adapters.base import EntitySpec
from gateway.mappings.model import Direction, LookupBy, OtherSystem, TableMapping
from gateway.mappings.transforms import UnknownTransformError, resolve_transform
from gateway.mappings.translate import target_field

# Entity catalogues of the two sides: canonical entity name -> spec.
Catalogue = Mapping[str, EntitySpec]
NO_ENTITIES: Catalogue = MappingProxyType({})


def other_catalogue(mapping: TableMapping, crm: Catalogue, projects: Catalogue) -> Catalogue:
    """The catalogue of the system on the mapping's other side."""
    return projects if mapping.other_system is OtherSystem.PROJECT_MANAGEMENT else crm


def side_label(mapping: TableMapping, side: str) -> str:
    return "ERP" if side == "erp" else mapping.other_system.label


@dataclass(frozen=True, slots=True)
class Catalogues:
    """The entity catalogues of the connected systems."""

    erp: Catalogue
    crm: Catalogue
    projects: Catalogue = field(default_factory=dict)

    def validate(
        self, mapping: TableMapping, known_mappings: Mapping[str, TableMapping]
    ) -> list[str]:
        return validate_mapping(
            mapping,
            erp=self.erp,
            crm=self.crm,
            projects=self.projects,
            known_mappings=known_mappings,
        )


class MappingValidationError(ValueError):
    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = list(problems)


def _entity_specs(
    mapping: TableMapping, erp: Catalogue, crm: Catalogue, problems: list[str]
) -> dict[str, EntitySpec | None]:
    specs: dict[str, EntitySpec | None] = {}
    for side, catalogue, entity in (
        ("erp", erp, mapping.erp_entity),
        ("crm", crm, mapping.crm_entity),
    ):
        specs[side] = catalogue.get(entity)
        if specs[side] is None:
            known = ", ".join(sorted(catalogue)) or "none"
            problems.append(
                f"{mapping.name}: the {side_label(mapping, side)} has no entity {entity!r} "
                f"(it has: {known})"
            )
    return specs


def _named_fields(mapping: TableMapping, side: str) -> list[tuple[str, str]]:
    """Every field of one side the mapping names, with where it names it."""
    named: list[tuple[str, str]] = []
    for row in mapping.fields:
        field = row.erp_field if side == "erp" else row.crm_field
        if field is not None:
            named.append((f"row {row.key}", field))
    if (key_field := mapping.key_field_of(side)) is not None:
        named.append(("the key field", key_field))
    filters = mapping.erp_filter if side == "erp" else mapping.crm_filter
    templates = mapping.erp_template if side == "erp" else mapping.crm_template
    named += [("the filter", name) for name in filters]
    named += [("the template", name) for name in templates]
    return named


def _field_problems(mapping: TableMapping, side: str, spec: EntitySpec | None) -> list[str]:
    """An entity that declares no fields accepts any field."""
    if spec is None or not spec.fields:
        return []
    return [
        f"{mapping.name}: {where} names {side_label(mapping, side)} field {name!r}, "
        f"which {spec.name} does not have"
        for where, name in _named_fields(mapping, side)
        if name not in spec.fields
    ]


def _computed_problems(mapping: TableMapping, side: str, spec: EntitySpec | None) -> list[str]:
    """A row (or template) that would write a field its system computes: the system refuses
    the whole record, so the mapping says so before any run."""
    if spec is None or not spec.computed:
        return []
    towards = Direction.TO_CRM if side == "crm" else Direction.FROM_CRM
    written = [
        (f"row {row.key}", target_field(row, towards)) for row in mapping.rows_towards(towards)
    ]
    templates = mapping.crm_template if side == "crm" else mapping.erp_template
    written += [("the template", name) for name in templates]
    return [
        f"{mapping.name}: {where} writes {side_label(mapping, side)} field {name!r}, which "
        f"{spec.name} computes itself"
        for where, name in written
        if name is not None and name in spec.computed
    ]


def _row_problems(mapping: TableMapping, known_mappings: Mapping[str, TableMapping]) -> list[str]:
    problems: list[str] = []
    for row in mapping.fields:
        if row.transform is not None:
            try:
                resolve_transform(row.transform)
            except UnknownTransformError as exc:
                problems.append(f"{mapping.name}: row {row.key}: {exc}")
        if row.lookup is None:
            continue
        target = known_mappings.get(row.lookup.mapping)
        if target is None:
            problems.append(
                f"{mapping.name}: row {row.key} looks up through unknown mapping "
                f"{row.lookup.mapping!r}"
            )
            continue
        # A lookup through the mapping itself (a task's parent task) is resolved by the
        # engine in waves, parents first.
        if row.lookup.mapping not in (*mapping.depends_on, mapping.name):
            problems.append(
                f"{mapping.name}: row {row.key} looks up through {row.lookup.mapping}, "
                "which must be listed in depends_on"
            )
        for side, by in (("erp", row.lookup.erp_by), ("crm", row.lookup.crm_by)):
            if by is LookupBy.KEY and target.key_field_of(side) is None:
                problems.append(
                    f"{mapping.name}: row {row.key} looks up {row.lookup.mapping} by its "
                    f"{side.upper()} key, but {row.lookup.mapping} has no {side} key field"
                )
    return problems


def validate_mapping(
    mapping: TableMapping,
    *,
    erp: Catalogue,
    crm: Catalogue,
    known_mappings: Mapping[str, TableMapping],
    projects: Catalogue = NO_ENTITIES,
) -> list[str]:
    """Problems with one mapping, each naming the mapping and the thing at fault. A disabled
    mapping (e.g. for an entity this ERP does not have) is checked only for its references.
    `crm` and `projects` are the catalogues of the systems that can be on the other side."""
    problems: list[str] = []
    if mapping.enabled:
        other = other_catalogue(mapping, crm, projects)
        specs = _entity_specs(mapping, erp, other, problems)
        for side in ("erp", "crm"):
            problems += _field_problems(mapping, side, specs[side])
            problems += _computed_problems(mapping, side, specs[side])
    problems += _row_problems(mapping, known_mappings)
    if mapping.coupled_through is not None and mapping.coupled_through not in mapping.depends_on:
        problems.append(
            f"{mapping.name}: uses the couplings of {mapping.coupled_through}, "
            "which must be listed in depends_on"
        )
    for dependency in mapping.depends_on:
        if dependency == mapping.name:
            problems.append(f"{mapping.name}: depends on itself")
        elif dependency not in known_mappings:
            problems.append(f"{mapping.name}: depends on unknown mapping {dependency!r}")
    return problems


def validate_mappings(
    mappings: Iterable[TableMapping],
    *,
    erp: Catalogue,
    crm: Catalogue,
    projects: Catalogue = NO_ENTITIES,
) -> None:
    """Validate a whole set (references between mappings included); raise naming every problem."""
    by_name = {mapping.name: mapping for mapping in mappings}
    problems: list[str] = []
    for mapping in by_name.values():
        problems += validate_mapping(
            mapping, erp=erp, crm=crm, projects=projects, known_mappings=by_name
        )
    if not problems:
        try:
            dependency_order(by_name.values())
        except MappingValidationError as exc:
            problems += exc.problems
    if problems:
        raise MappingValidationError(problems)


def dependency_order(mappings: Iterable[TableMapping]) -> list[TableMapping]:
    """Mappings sorted so that each comes after those it depends on (stable by name)."""
    by_name = {mapping.name: mapping for mapping in mappings}
    ordered: list[TableMapping] = []
    state: dict[str, str] = {}

    def visit(name: str, path: list[str]) -> None:
        if state.get(name) == "done" or name not in by_name:
            return
        if state.get(name) == "visiting":
            cycle = " → ".join([*path[path.index(name) :], name])
            raise MappingValidationError([f"dependency cycle: {cycle}"])
        state[name] = "visiting"
        for dependency in sorted(by_name[name].depends_on):
            visit(dependency, [*path, name])
        state[name] = "done"
        ordered.append(by_name[name])

    for name in sorted(by_name):
        visit(name, [])
    return ordered
