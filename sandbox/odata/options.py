"""System query options of one request, validated against the entity set's catalogue."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sandbox.errors import ErrorKind, SandboxError
from sandbox.model import Catalogue, EntitySet, Field, FieldType, Navigation
from sandbox.odata import filter as odata_filter
from sandbox.odata.filter import MongoFilter

KNOWN = frozenset(
    {
        "$select",
        "$filter",
        "$orderby",
        "$top",
        "$skip",
        "$count",
        "$expand",
        "$apply",
        "$skiptoken",
        "$deltatoken",
        "$format",
    }
)


@dataclass
class Expand:
    navigation: Navigation
    target: EntitySet
    select: list[str] | None = None
    filter: MongoFilter = field(default_factory=dict)
    orderby: list[tuple[str, int]] = field(default_factory=list)
    top: int | None = None


@dataclass
class QueryOptions:
    select: list[str] | None = None
    filter: MongoFilter = field(default_factory=dict)
    filter_text: str | None = None
    orderby: list[tuple[str, int]] = field(default_factory=list)
    top: int | None = None
    skip: int | None = None
    count: bool = False
    expand: list[Expand] = field(default_factory=list)
    apply: str | None = None
    skiptoken: str | None = None
    deltatoken: str | None = None
    aliases: dict[str, str] = field(default_factory=dict)


class Schema:
    """Resolves property paths of one API's entity sets; `namespace` words the errors."""

    def __init__(self, catalogue: Catalogue, namespace: str) -> None:
        self.catalogue = catalogue
        self.namespace = namespace

    def unknown(self, entity_set: EntitySet, name: str) -> SandboxError:
        return SandboxError(
            ErrorKind.UNKNOWN_PROPERTY,
            f"Could not find a property named '{name}' on type "
            f"'{self.namespace}.{entity_set.entity}'.",
        )

    def field(self, entity_set: EntitySet, name: str) -> Field:
        found = entity_set.fields.get(name)
        if found is None:
            raise self.unknown(entity_set, name)
        return found

    def resolver(self, entity_set: EntitySet) -> odata_filter.Resolver:
        def resolve(path: str) -> tuple[Field, str]:
            if "/" not in path:
                lookup = f"_{path}_value"  # a Dataverse lookup by its logical name
                if path not in entity_set.fields and lookup in entity_set.fields:
                    return entity_set.fields[lookup], lookup
                return self.field(entity_set, path), entity_set.column(path)
            nav_name, _, attr = path.partition("/")
            nav = entity_set.navigations.get(nav_name)
            target = self.catalogue.get(nav.target) if nav is not None else None
            if nav is None or target is None:
                raise self.unknown(entity_set, nav_name)
            if nav.many or attr != target.key:
                raise SandboxError(
                    ErrorKind.NOT_SUPPORTED,
                    f"Filtering on '{path}' is not supported by this service; filter on "
                    f"'{nav.local}' instead.",
                )
            return Field(nav.local, FieldType.GUID), nav.local

        return resolve

    def navigation(self, entity_set: EntitySet, name: str) -> tuple[Navigation, EntitySet]:
        nav = entity_set.navigations.get(name)
        target = self.catalogue.get(nav.target) if nav is not None else None
        if nav is None or target is None:
            raise SandboxError(
                ErrorKind.UNKNOWN_PROPERTY,
                f"Could not find a property named '{name}' on type "
                f"'{self.namespace}.{entity_set.entity}'.",
            )
        return nav, target


def split_top_level(text: str, separator: str = ",") -> list[str]:
    """Split on `separator` outside parentheses and string literals."""
    parts: list[str] = []
    depth, quoted, start = 0, False, 0
    for index, char in enumerate(text):
        if char == "'":
            quoted = not quoted
        elif quoted:
            continue
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == separator and depth == 0:
            parts.append(text[start:index].strip())
            start = index + 1
    tail = text[start:].strip()
    if tail:
        parts.append(tail)
    return [part for part in parts if part]


def parse_options(  # noqa: PLR0912 - one branch per system query option
    params: Sequence[tuple[str, str]],
    entity_set: EntitySet,
    schema: Schema,
    *,
    allow_skip: bool,
) -> QueryOptions:
    options = QueryOptions()
    for name, value in params:
        if name.startswith("@"):
            options.aliases[name] = value
            continue
        if not name.startswith("$"):
            continue
        if name not in KNOWN or (name == "$skip" and not allow_skip):
            raise SandboxError(
                ErrorKind.BAD_QUERY, f"The query parameter '{name}' is not supported."
            )
        if name == "$select":
            options.select = _select(value, entity_set, schema)
        elif name == "$filter":
            options.filter_text = value
            options.filter = odata_filter.translate(
                odata_filter.parse(value), schema.resolver(entity_set)
            )
        elif name == "$orderby":
            options.orderby = _orderby(value, entity_set, schema)
        elif name == "$top":
            options.top = _count(name, value)
        elif name == "$skip":
            options.skip = _count(name, value)
        elif name == "$count":
            options.count = _boolean(name, value)
        elif name == "$expand":
            options.expand = [_expand(item, entity_set, schema) for item in split_top_level(value)]
        elif name == "$apply":
            options.apply = value
        elif name == "$skiptoken":
            options.skiptoken = value
        elif name == "$deltatoken":
            options.deltatoken = value
    return options


def _select(value: str, entity_set: EntitySet, schema: Schema) -> list[str]:
    names = [name.strip() for name in value.split(",") if name.strip()]
    for name in names:
        if name != "*":
            schema.field(entity_set, name)
    return [] if "*" in names else names


def _orderby(value: str, entity_set: EntitySet, schema: Schema) -> list[tuple[str, int]]:
    resolve = schema.resolver(entity_set)
    order: list[tuple[str, int]] = []
    for item in split_top_level(value):
        words = item.split()
        if len(words) > 2 or (len(words) == 2 and words[1].lower() not in ("asc", "desc")):
            raise SandboxError(ErrorKind.BAD_QUERY, f"Syntax error in $orderby '{value}'.")
        _field, column = resolve(words[0])
        order.append((column, -1 if len(words) == 2 and words[1].lower() == "desc" else 1))
    return order


def _count(name: str, value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = -1
    if number < 0:
        raise SandboxError(
            ErrorKind.BAD_QUERY,
            f"Invalid value '{value}' for {name} query option found. The {name} query option "
            "requires a non-negative integer value.",
        )
    return number


def _boolean(name: str, value: str) -> bool:
    if value.lower() not in ("true", "false"):
        raise SandboxError(
            ErrorKind.BAD_QUERY, f"'{value}' is not a valid value for {name}: use true or false."
        )
    return value.lower() == "true"


def _expand(item: str, entity_set: EntitySet, schema: Schema) -> Expand:
    name, _, rest = item.partition("(")
    nav, target = schema.navigation(entity_set, name.strip())
    expand = Expand(nav, target)
    if rest:
        if not rest.endswith(")"):
            raise SandboxError(ErrorKind.BAD_QUERY, f"Syntax error in $expand '{item}'.")
        for option in split_top_level(rest[:-1], ";"):
            key, _, value = option.partition("=")
            key = key.strip()
            if key == "$select":
                expand.select = _select(value, target, schema)
            elif key == "$filter" and nav.many:
                expand.filter = odata_filter.translate(
                    odata_filter.parse(value), schema.resolver(target)
                )
            elif key == "$orderby" and nav.many:
                expand.orderby = _orderby(value, target, schema)
            elif key == "$top" and nav.many:
                expand.top = _count("$top", value)
            else:
                raise SandboxError(
                    ErrorKind.NOT_SUPPORTED,
                    f"The option '{key}' is not supported inside $expand of '{nav.name}'.",
                )
    return expand
