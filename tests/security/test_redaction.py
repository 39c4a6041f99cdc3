"""Secrets stay out of logs and out of the audit."""

from __future__ import annotations

import logging

import pytest
from pydantic import SecretStr

from gateway.security.redaction import (
    REDACTED,
    SecretRedactor,
    install_secret_redaction,
    is_secret_name,
    redact,
    secret_values,
)
from gateway.settings import Settings


def test_settings_secrets_are_collected() -> None:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        mongodb_url="mongodb://gateway:mongo-pass-1@db1:27017,db2:27017/gw",
        redis_url="redis://:redis-pass-2@cache:6379/0",
        crm_client_secret=SecretStr("crm-secret-3"),
        tryton_password=SecretStr("tryton-pass-4"),
        gateway_dev_api_key=SecretStr("gw_dev_key_5_long_enough_24"),
        bc_client_secret=SecretStr("short"),  # too short to redact safely
    )
    assert secret_values(settings) == {
        "mongo-pass-1",
        "redis-pass-2",
        "crm-secret-3",
        "tryton-pass-4",
        "gw_dev_key_5_long_enough_24",
    }


@pytest.mark.parametrize(
    "name",
    [
        "apiKey",
        "api_key",
        "key",
        "clientSecret",
        "CLIENT_SECRET",
        "password",
        "accessToken",
        "refresh_token",
        "Authorization",
        "credentials",
    ],
)
def test_secret_names(name: str) -> None:
    assert is_secret_name(name)


@pytest.mark.parametrize("name", ["name", "role", "erpId", "mapping", "monkey", "keyboardLayout"])
def test_ordinary_names(name: str) -> None:
    assert not is_secret_name(name)


def test_redact_walks_documents() -> None:
    value = {"input": {"name": "erp", "clientSecret": "abc", "notes": ["uses top-secret-99"]}}
    assert redact(value, ["top-secret-99"]) == {
        "input": {"name": "erp", "clientSecret": REDACTED, "notes": [f"uses {REDACTED}"]}
    }


def test_log_records_are_redacted_in_message_arguments_and_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    install_secret_redaction(["connector-secret-777"])
    log = logging.getLogger("tests.security.redaction")
    with caplog.at_level(logging.INFO, logger="tests.security.redaction"):
        log.info("token exchange with %s failed", "connector-secret-777")
        try:
            raise RuntimeError("credential connector-secret-777 was refused")
        except RuntimeError:
            log.exception("while calling the CRM")
        # A malformed call: still redacted, and it does not raise.
        log.info("bad %s %s", "connector-secret-777")  # noqa: PLE1206
    assert "connector-secret-777" not in caplog.text
    assert f"token exchange with {REDACTED} failed" in caplog.text
    assert f"RuntimeError: credential {REDACTED} was refused" in caplog.text


def test_installing_twice_keeps_one_redactor() -> None:
    first = install_secret_redaction(["first-secret-1"])
    second = install_secret_redaction(["second-secret-2"])
    assert first is second
    assert {"first-secret-1", "second-secret-2"} <= second.secrets
    assert isinstance(second, SecretRedactor)


def test_api_keys_in_free_text_are_redacted() -> None:
    key = "gw_" + "Ab9-_" * 8 + "xyz"
    note = f"rotated {key}; the dev key gw_dev_{'k' * 30} too"
    assert redact({"note": note}) == {"note": f"rotated {REDACTED}; the dev key {REDACTED} too"}
    assert redact("gw_short and gw_") == "gw_short and gw_"


def test_template_values_of_secret_fields_are_redacted() -> None:
    template = [
        {"field": "password", "value": "hunter2-hunter2"},
        {"field": "client_secret", "value": "s3cr3t"},
        {"field": "name", "value": "Contoso"},
    ]
    assert redact({"crmTemplate": template}) == {
        "crmTemplate": [
            {"field": "password", "value": REDACTED},
            {"field": "client_secret", "value": REDACTED},
            {"field": "name", "value": "Contoso"},
        ]
    }


@pytest.mark.parametrize("name", ["erpKeyField", "crmKeyField", "erp_key_field", "keyFields"])
def test_key_fields_are_not_secrets(name: str) -> None:
    assert not is_secret_name(name)
    assert redact({name: "number"}) == {name: "number"}
