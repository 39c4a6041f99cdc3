"""How one value of a record travels between the gateway and a Tryton field.

Record values are JSON-friendly: ids of related records as strings, amounts as floats, dates
and timestamps as ISO 8601 strings, durations as hours. Values written are checked against the
field's kind before anything is sent, and refused with the field's name and the reason.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from adapters.errors import ValidationError


class Kind(StrEnum):
    TEXT = "text"
    INTEGER = "integer"
    FLOAT = "float"
    DECIMAL = "decimal"
    BOOLEAN = "boolean"
    DATE = "date"
    DATETIME = "datetime"
    REF = "ref"  # a Many2One: the related record's id
    REFS = "refs"  # a Many2Many or One2Many: the related records' ids
    HOURS = "hours"  # a TimeDelta, in hours
    ROWS = "rows"  # embedded related records (sale lines), shaped by the entity


class Write(StrEnum):
    DIRECT = "direct"  # written to the Tryton field of the same source
    SHAPE = "shape"  # written by the entity's shape (contact mechanisms, addresses, lines)
    NONE = "none"  # read-only


@dataclass(frozen=True, slots=True)
class FieldDef:
    """One value of a canonical entity.

    `source` is the Tryton field read for it (None: the value's own name; `a.b`: field `b` of
    the record that Many2One `a` points to; "": computed by the entity's shape). `search` is the
    domain path used to filter on it, when it differs from `source`.
    """

    name: str
    kind: Kind = Kind.TEXT
    source: str | None = None
    write: Write = Write.DIRECT
    search: str | None = None
    lookup: str | None = None
    choices: frozenset[str] | None = None
    # Filter through a One2Many: (relation, fixed clauses of the related record, its field).
    where: tuple[str, tuple[tuple[str, str, Any], ...], str] | None = None
    # A boolean saying whether this Tryton field holds something (filters: set or empty).
    present: str | None = None

    @property
    def tryton(self) -> str:
        return self.name if self.source is None else self.source

    @property
    def computed(self) -> bool:
        return self.source == ""

    @property
    def search_path(self) -> str | None:
        """The domain path that filters on this value, or None if it cannot be filtered."""
        if self.search is not None:
            return self.search or None
        return None if self.computed else self.tryton


def read_value(field: FieldDef, row: Mapping[str, Any]) -> Any:
    """The record value of `field` from a row Tryton returned."""
    path = field.tryton
    if "." in path:
        head, tail = path.split(".", 1)
        related = row.get(f"{head}.")
        raw = related.get(tail) if isinstance(related, Mapping) else None
    else:
        raw = row.get(path)
    return to_value(field.kind, raw)


_READERS: dict[Kind, Callable[[Any], Any]] = {
    Kind.TEXT: lambda raw: raw or None,
    Kind.DECIMAL: float,
    Kind.FLOAT: float,
    Kind.DATE: lambda raw: raw.isoformat() if isinstance(raw, dt.date) else raw,
    Kind.DATETIME: lambda raw: raw.isoformat() if isinstance(raw, dt.date) else raw,
    Kind.REF: str,
    Kind.REFS: lambda raw: [str(item) for item in raw],
    Kind.BOOLEAN: bool,
    Kind.INTEGER: int,
    Kind.HOURS: lambda raw: raw.total_seconds() / 3600 if isinstance(raw, dt.timedelta) else None,
}


def to_value(kind: Kind, raw: Any) -> Any:
    """A Tryton value as a JSON-friendly record value."""
    if raw is None or (raw is False and kind is not Kind.BOOLEAN):
        return None
    reader = _READERS.get(kind)
    return raw if reader is None else reader(raw)


def to_tryton(entity: str, field: FieldDef, value: Any) -> Any:
    """A record value as the Tryton value of `field`; ValidationError names what is wrong."""
    if value is None:
        return None
    try:
        converted = _convert(field, value)
    except (TypeError, ValueError, InvalidOperation) as exc:
        raise ValidationError(f"{entity}.{field.name}: {exc}", system="tryton") from None
    if field.choices is not None and converted not in field.choices:
        allowed = ", ".join(sorted(field.choices))
        raise ValidationError(
            f"{entity}.{field.name}: {value!r} is not one of {allowed}", system="tryton"
        )
    return converted


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {type(value).__name__}")
    return value


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"expected true or false, got {type(value).__name__}")
    return value


def _integer(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"expected an integer, got {type(value).__name__}")
    return value


def _rows(value: Any) -> list[Any]:
    if not isinstance(value, list | tuple) or not all(isinstance(row, Mapping) for row in value):
        raise TypeError("expected a list of objects")
    return list(value)


def _convert(field: FieldDef, value: Any) -> Any:
    return _WRITERS[field.kind](value)


def parse_id(value: Any) -> int:
    """A Tryton record id from an int or its string form."""
    if isinstance(value, bool):
        raise TypeError("expected a record id, got a boolean")
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and value.strip().isdigit():
        number = int(value)
    else:
        raise ValueError(f"{value!r} is not a Tryton record id")
    if number <= 0:
        raise ValueError(f"{value!r} is not a Tryton record id")
    return number


def _ids(value: Any) -> Any:
    """Ids of related records; one id alone where a filter compares with one of them."""
    if isinstance(value, list | tuple):
        return [parse_id(item) for item in value]
    return parse_id(value)


def _number(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise TypeError("expected a number, got a boolean")
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int | float):
        return Decimal(str(value))
    if isinstance(value, str):
        return Decimal(value.strip())
    raise TypeError(f"expected a number, got {type(value).__name__}")


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        return dt.date.fromisoformat(value[:10])
    raise TypeError(f"expected an ISO date, got {type(value).__name__}")


def _datetime(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, str):
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    else:
        raise TypeError(f"expected an ISO timestamp, got {type(value).__name__}")
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


_WRITERS: dict[Kind, Callable[[Any], Any]] = {
    Kind.TEXT: _text,
    Kind.BOOLEAN: _boolean,
    Kind.INTEGER: _integer,
    Kind.FLOAT: lambda value: float(_number(value)),
    Kind.DECIMAL: _number,
    Kind.HOURS: lambda value: dt.timedelta(hours=float(_number(value))),
    Kind.REF: parse_id,
    Kind.REFS: _ids,
    Kind.DATE: _date,
    Kind.DATETIME: _datetime,
    Kind.ROWS: _rows,
}
