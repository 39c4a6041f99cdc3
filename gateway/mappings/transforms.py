"""Named value transforms: small pure functions a field row can name.

A transform has a form per direction (towards the CRM, towards the ERP); most are the same both
ways. Names may carry one argument after a colon, e.g. `truncate:50`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pycountry

Fn = Callable[[Any], Any]


@dataclass(frozen=True, slots=True)
class Transform:
    to_crm: Fn
    to_erp: Fn


class UnknownTransformError(ValueError):
    pass


def _text(fn: Callable[[str], Any]) -> Fn:
    """Apply `fn` to strings; leave None and other values alone."""
    return lambda value: fn(value) if isinstance(value, str) else value


def _to_date(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str) and len(value) >= 10:
        return value[:10]
    return value


def _to_number(value: Any) -> Any:
    if value is None or isinstance(value, int | float):
        return value
    try:
        number = float(str(value).strip())
    except ValueError:
        return value
    return int(number) if number.is_integer() else number


def _to_string(value: Any) -> Any:
    return None if value is None else str(value)


def _digits(value: str) -> str:
    return "".join(ch for ch in value if ch.isdigit() or ch == "+")


def _first_word(value: str) -> str:
    return value.strip().split(" ", 1)[0]


def _last_words(value: str) -> str:
    parts = value.strip().split(" ", 1)
    return parts[1] if len(parts) > 1 else ""


def _empty_as_none(value: Any) -> Any:
    return None if value == "" else value


def _country_name(value: Any) -> Any:
    """An ISO 3166 code as the country's name ("US" → "United States"); other text as is."""
    if not isinstance(value, str) or not value.strip():
        return value
    country = pycountry.countries.get(alpha_2=value.strip().upper())
    return country.name if country is not None else value


def _country_code(value: Any) -> Any:
    """A country's name (or code) as its ISO 3166 two-letter code; unknown text as is, so
    that the system refusing it names the field."""
    if not isinstance(value, str) or not value.strip():
        return value
    try:
        return pycountry.countries.lookup(value.strip()).alpha_2
    except LookupError:
        return value


def _same(fn: Fn) -> Transform:
    return Transform(to_crm=fn, to_erp=fn)


_SIMPLE: dict[str, Transform] = {
    "trim": _same(_text(str.strip)),
    "upper": _same(_text(str.upper)),
    "lower": _same(_text(str.lower)),
    "date": _same(_to_date),
    "number": _same(_to_number),
    "string": _same(_to_string),
    "phone_digits": _same(_text(_digits)),
    "empty_as_none": _same(_empty_as_none),
    # A full name split in two, for a CRM contact's first and last name.
    "first_word": _same(_text(_first_word)),
    "last_words": _same(_text(_last_words)),
    # The ERP keeps a country code, the CRM free text: names one way, codes the other.
    "country": Transform(to_crm=_country_name, to_erp=_country_code),
}


def _truncate(argument: str) -> Transform:
    length = int(argument)
    if length <= 0:
        raise ValueError
    return _same(_text(lambda text: text[:length]))


_PARAMETRIC: dict[str, Callable[[str], Transform]] = {"truncate": _truncate}


def resolve_transform(name: str) -> Transform:
    """The transform a row names, or `UnknownTransformError` naming what is wrong."""
    base, _, argument = name.partition(":")
    if base in _SIMPLE and not argument:
        return _SIMPLE[base]
    if base in _PARAMETRIC and argument:
        try:
            return _PARAMETRIC[base](argument)
        except ValueError:
            raise UnknownTransformError(
                f"transform {name!r}: {argument!r} is not a valid argument"
            ) from None
    known = sorted([*_SIMPLE, *(f"{p}:<n>" for p in _PARAMETRIC)])
    raise UnknownTransformError(f"unknown transform {name!r}; known: {', '.join(known)}")


def transform_names() -> list[str]:
    return sorted([*_SIMPLE, *(f"{p}:<n>" for p in _PARAMETRIC)])
