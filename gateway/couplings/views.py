"""What the read API shows of CRM and ERP records, read through one field table per system.

The CRM is Dynamics 365 Sales (Dataverse column names). The ERP is Business Central or Tryton,
whose customer records name the same facts differently; each ERP connector declares where each fact
lives in each ERP, so no other module needs to know.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from adapters.base import Connector, Record
from adapters.capabilities import CustomerFields
from adapters.filters import Contains, Filter, any_of

# The coupling mapping between CRM accounts and ERP customers (see the default mappings).
CUSTOMER_MAPPING = "CUSTOMER"
ACCOUNT_ENTITY = "account"
CUSTOMER_ENTITY = "customer"
CONTACT_ENTITY = "contact"
USER_ENTITY = "user"

# Dataverse columns of an account, a contact and a user.
ACCOUNT_SEARCH_FIELDS = ("name", "accountnumber", "emailaddress1")
CONTACT_PARENT_FIELD = "_parentcustomerid_value"


class UnknownErpError(LookupError):
    """The configured ERP has no customer field table."""


def customer_fields(erp: Connector) -> CustomerFields:
    fields = erp.capabilities.customer_fields
    if fields is None:
        raise UnknownErpError(f"{erp.capabilities.label} declares no customer fields")
    return fields


def _text(value: Any) -> str | None:
    """Text as the API shows it: "" and None alike (Business Central answers "" for unset)."""
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _get(values: Mapping[str, Any], name: str | None) -> str | None:
    return _text(values.get(name)) if name is not None else None


@dataclass(frozen=True, slots=True)
class AccountView:
    id: str
    name: str
    account_number: str | None
    email: str | None
    phone: str | None
    website: str | None
    city: str | None
    owner_id: str | None

    @classmethod
    def of(cls, record: Record) -> AccountView:
        values = record.values
        return cls(
            id=record.id,
            name=_get(values, "name") or "",
            account_number=_get(values, "accountnumber"),
            email=_get(values, "emailaddress1"),
            phone=_get(values, "telephone1"),
            website=_get(values, "websiteurl"),
            city=_get(values, "address1_city"),
            owner_id=_get(values, "_ownerid_value"),
        )

    def searchable(self) -> tuple[str | None, ...]:
        return (self.name, self.account_number, self.email)


@dataclass(frozen=True, slots=True)
class CustomerView:
    id: str
    number: str
    name: str
    email: str | None
    phone: str | None
    website: str | None
    city: str | None
    salesperson_code: str | None

    @classmethod
    def of(cls, record: Record, fields: CustomerFields) -> CustomerView:
        values = record.values
        return cls(
            id=record.id,
            number=_get(values, fields.number) or "",
            name=_get(values, fields.name) or "",
            email=_get(values, fields.email),
            phone=_get(values, fields.phone),
            website=_get(values, fields.website),
            city=_get(values, fields.city),
            salesperson_code=_get(values, fields.salesperson_code),
        )

    def searchable(self) -> tuple[str | None, ...]:
        return (self.name, self.number, self.email)


@dataclass(frozen=True, slots=True)
class ContactView:
    id: str
    account_id: str | None
    full_name: str
    first_name: str | None
    last_name: str | None
    email: str | None
    phone: str | None
    mobile_phone: str | None
    job_title: str | None
    city: str | None

    @classmethod
    def of(cls, record: Record) -> ContactView:
        values = record.values
        first, last = _get(values, "firstname"), _get(values, "lastname")
        full = _get(values, "fullname") or " ".join(part for part in (first, last) if part)
        return cls(
            id=record.id,
            account_id=_get(values, CONTACT_PARENT_FIELD),
            full_name=full,
            first_name=first,
            last_name=last,
            email=_get(values, "emailaddress1"),
            phone=_get(values, "telephone1"),
            mobile_phone=_get(values, "mobilephone"),
            job_title=_get(values, "jobtitle"),
            city=_get(values, "address1_city"),
        )


@dataclass(frozen=True, slots=True)
class UserView:
    id: str
    full_name: str
    email: str | None
    disabled: bool

    @classmethod
    def of(cls, record: Record) -> UserView:
        values = record.values
        return cls(
            id=record.id,
            full_name=_get(values, "fullname") or "",
            email=_get(values, "internalemailaddress"),
            disabled=bool(values.get("isdisabled")),
        )


def account_search(text: str) -> Filter:
    """Accounts whose name, number or e-mail contains `text` (ignoring case)."""
    return any_of(*(Contains(name, text) for name in ACCOUNT_SEARCH_FIELDS))


def customer_search(fields: CustomerFields, text: str) -> Filter:
    """Customers whose name, number or e-mail contains `text`. Where the ERP cannot `or`
    different fields, the text picks one: an e-mail address when it has an `@`, the number
    when it is one word with a digit in it, the name otherwise."""
    candidates = [name for name in (fields.name, fields.number, fields.email) if name]
    if fields.search_across_fields:
        return any_of(*(Contains(name, text) for name in candidates))
    stripped = text.strip()
    if "@" in stripped and fields.email:
        return Contains(fields.email, text)
    if stripped and " " not in stripped and any(ch.isdigit() for ch in stripped):
        return Contains(fields.number, text)
    return Contains(fields.name, text)


def contains_text(values: tuple[str | None, ...], text: str) -> bool:
    """The search of `account_search`/`customer_search`, applied to records already read."""
    wanted = text.casefold()
    return any(value is not None and wanted in value.casefold() for value in values)
