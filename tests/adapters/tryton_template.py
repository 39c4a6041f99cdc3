"""The Tryton database template of the tests, built once per machine and cached.

Building a Tryton database (activating the modules, a company, a fiscal year, a chart of
accounts) takes about a minute, so it happens once: the SQLite file is cached under a directory
keyed by the trytond version, the year (the fiscal year covers it) and this file's source.
`TRYTON_TEMPLATE_CACHE` moves the cache (default: `~/.cache/erp-crm-gateway/tryton-templates`).

`trytond-admin` creates the database; then this file runs as a script with the venv's Python
for the `populate` step, which uses trytond's scripting library (proteus) in that child process
only: the test process never imports trytond.

What the template holds: the modules below; three countries; the company "Gateway Demo Ltd"
in USD (EUR exists too) with a fiscal year of this year and its periods, the minimal English
chart of accounts with default receivable/payable/revenue/expense accounts, invoice sequences
and a direct payment term; two service products sold by the hour; an employee linked to the
admin user, whose cost price is 60 an hour; and a user with no groups at all, whom every
business model refuses.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import importlib.metadata
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

DATABASE = "gateway"
ADMIN_LOGIN = "admin"
ADMIN_PASSWORD = "admin-Tryton-0451"
CLERK_LOGIN = "clerk"
CLERK_PASSWORD = "clerk-Tryton-0452"
COMPANY_NAME = "Gateway Demo Ltd"
SERVICE_PRODUCT_CODE = "SVC-CONSULT"
SECOND_PRODUCT_CODE = "SVC-TRAIN"
EMPLOYEE_NAME = "Pat Seller"
COUNTRIES = (("US", "United States"), ("DE", "Germany"), ("FR", "France"))

MODULES = (
    "party",
    "company",
    "currency",
    "account",
    "account_invoice",
    "product",
    "sale",
    "sale_opportunity",
    "project",
    "timesheet",
    "timesheet_cost",
    "project_revenue",
)


def tryton_bin(name: str) -> str:
    return str(Path(sys.executable).with_name(name))


def _cache_root() -> Path:
    if configured := os.environ.get("TRYTON_TEMPLATE_CACHE"):
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "erp-crm-gateway" / "tryton-templates"


def template_key() -> str:
    version = importlib.metadata.version("trytond")
    digest = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:12]
    return f"trytond-{version}-{dt.date.today().year}-{digest}"


def write_config(directory: Path, port: int | None = None) -> Path:
    """A trytond configuration serving the SQLite databases of `directory`."""
    lines = [
        "[database]",
        "uri = sqlite://",
        f"path = {directory}",
        "[session]",
        # The tests log in many times from one address.
        "max_attempt = 50",
        "max_attempt_ip_network = 5000",
    ]
    if port is not None:
        lines += ["[web]", f"listen = 127.0.0.1:{port}"]
    config = directory / "trytond.conf"
    config.write_text("\n".join(lines) + "\n")
    return config


def _run(argv: list[str], *, env: dict[str, str] | None = None, what: str) -> None:
    result = subprocess.run(
        argv,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
    if result.returncode != 0:
        raise RuntimeError(f"{what} failed ({result.returncode}):\n{result.stderr[-4000:]}")


def _build(directory: Path) -> None:
    directory.mkdir(parents=True)
    config = write_config(directory)
    (directory / f"{DATABASE}.sqlite").touch()
    password_file = directory / "admin-password"
    password_file.write_text(ADMIN_PASSWORD)
    _run(
        [
            tryton_bin("trytond-admin"),
            "-c",
            str(config),
            "-d",
            DATABASE,
            "--activate-dependencies",
            "--email",
            "admin@example.com",
            "-u",
            *MODULES,
        ],
        env={"TRYTONPASSFILE": str(password_file)},
        what="trytond-admin",
    )
    password_file.unlink()
    _run(
        [sys.executable, __file__, "populate", str(config), DATABASE],
        what="populating the Tryton template",
    )
    (directory / "trytond.conf").unlink()


def ensure_template() -> Path:
    """The SQLite file of the template, built under a lock if this machine has none yet."""
    root = _cache_root()
    root.mkdir(parents=True, exist_ok=True)
    target = root / template_key()
    with (root / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (target / f"{DATABASE}.sqlite").exists():
            staging = Path(tempfile.mkdtemp(prefix="building-", dir=root))
            try:
                _build(staging / "db")
                (staging / "db").rename(target)
            finally:
                shutil.rmtree(staging, ignore_errors=True)
            for stale in root.glob("trytond-*"):
                if stale != target:
                    shutil.rmtree(stale, ignore_errors=True)
    return target / f"{DATABASE}.sqlite"


def _populate(config_file: str, database: str) -> None:  # pragma: no cover - child process
    from decimal import Decimal

    from proteus import Model
    from proteus import config as proteus_config
    from trytond.modules.account.tests.tools import create_chart, create_fiscalyear, get_accounts
    from trytond.modules.account_invoice.tests.tools import (
        create_payment_term,
        set_fiscalyear_invoice_sequences,
    )
    from trytond.modules.company.tests.tools import create_company, get_company
    from trytond.modules.currency.tests.tools import get_currency

    proteus_config.set_trytond(database=database, config_file=config_file)

    country_model = Model.get("country.country")
    for code, name in COUNTRIES:
        country_model(code=code, name=name).save()

    usd = get_currency("USD")
    get_currency("EUR")
    party_model = Model.get("party.party")
    company_party = party_model(name=COMPANY_NAME)
    company_party.save()
    create_company(party=company_party, currency=usd)
    company = get_company()

    year = dt.date.today().year
    fiscalyear = set_fiscalyear_invoice_sequences(
        create_fiscalyear(company, (dt.date(year, 1, 1), dt.date(year, 12, 31)))
    )
    fiscalyear.click("create_period")
    create_chart(company)
    accounts = get_accounts(company)
    create_payment_term().save()

    category = Model.get("product.category")(name="Services")
    category.accounting = True
    category.account_revenue = accounts["revenue"]
    category.account_expense = accounts["expense"]
    category.save()
    hour = Model.get("product.uom").find([("name", "=", "Hour")])[0]
    template_model = Model.get("product.template")
    for code, name, price in (
        (SERVICE_PRODUCT_CODE, "Consulting", Decimal(100)),
        (SECOND_PRODUCT_CODE, "Training", Decimal(80)),
    ):
        template = template_model(name=name, type="service", default_uom=hour)
        template.salable = True
        template.list_price = price
        template.account_category = category
        template.code = code
        template.save()

    employee_party = party_model(name=EMPLOYEE_NAME)
    employee_party.save()
    employee = Model.get("company.employee")(party=employee_party, company=company)
    cost = employee.cost_prices.new()
    cost.date = dt.date(dt.date.today().year, 1, 1)
    cost.cost_price = Decimal("60")
    employee.save()

    user_model = Model.get("res.user")
    admin = user_model.find([("login", "=", ADMIN_LOGIN)])[0]
    admin.employees.append(employee)
    admin.employee = employee
    admin.save()

    clerk = user_model(name="Clerk", login=CLERK_LOGIN, password=CLERK_PASSWORD)
    clerk.groups.clear()
    clerk.save()


if __name__ == "__main__":  # pragma: no cover - the template build runs this file
    if sys.argv[1:2] == ["populate"]:
        _populate(sys.argv[2], sys.argv[3])
