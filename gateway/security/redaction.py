"""Keeping secrets out of logs and out of the integration log.

Two mechanisms: values we know to be secret (connector credentials, the dev key, passwords in
server URLs) and anything shaped like one of our API keys (`gw_...`) are replaced wherever
they appear in a log record; and in the audit of mutation calls, any variable whose name says
it holds a secret (key, secret, password, token, ...) is replaced whatever its value, and so
is the value of a `{field, value}` pair (a template default) whose field is so named.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import AnyUrl, SecretStr

from gateway.settings import Settings

REDACTED = "[REDACTED]"
# Shorter values would redact ordinary words; no real credential is this short.
MIN_SECRET_LENGTH = 6

_SECRET_SUBSTRINGS = ("secret", "password", "passwd", "passphrase", "token", "credential")
# Words that name a secret when a name ends with them: `apiKey`, `auth`, but not `erpKeyField`
# (the field that holds a record's natural key) or `keyboardLayout`.
_SECRET_LAST_WORDS = frozenset({"key", "apikey", "pwd", "authorization", "auth", "bearer"})
_WORD_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|[^A-Za-z0-9]+")
# Our API keys: "gw_" and 43 URL-safe characters (`gw_dev_`, `gw_test_` keys alike).
_API_KEY = re.compile(r"\bgw_[A-Za-z0-9_-]{16,}")
_PAIR_NAMES = ("field", "name")


def secret_values(settings: Settings) -> set[str]:
    """Every secret the settings hold: `SecretStr` fields and passwords inside URLs."""
    found: set[str] = set()
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        if isinstance(value, SecretStr):
            found.add(value.get_secret_value())
        elif isinstance(value, AnyUrl) and value.password:
            found.add(value.password)
        elif hasattr(value, "hosts"):  # multi-host DSNs (MongoDsn)
            for host in value.hosts():
                if host.get("password"):
                    found.add(str(host["password"]))
    return {secret for secret in found if len(secret) >= MIN_SECRET_LENGTH}


def is_secret_name(name: str) -> bool:
    """True for names like apiKey, client_secret, PASSWORD, accessToken, Authorization."""
    lowered = name.lower()
    if any(part in lowered for part in _SECRET_SUBSTRINGS):
        return True
    words = [word.lower() for word in _WORD_BOUNDARY.split(name) if word]
    return bool(words) and words[-1] in _SECRET_LAST_WORDS


def redact_text(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    return _API_KEY.sub(REDACTED, text) if "gw_" in text else text


def _names_a_secret(pair: Mapping[Any, Any]) -> bool:
    """A `{field: "password", value: ...}` pair: its value is the named field's."""
    return any(
        isinstance(pair.get(name), str) and is_secret_name(pair[name]) for name in _PAIR_NAMES
    )


def redact(value: Any, secrets: Iterable[str] = ()) -> Any:
    """A copy of a JSON-like value with secret-named entries and known secret values hidden."""
    secrets = tuple(secrets)
    if isinstance(value, Mapping):
        pair = _names_a_secret(value)
        return {
            str(key): REDACTED
            if is_secret_name(str(key)) or (pair and key == "value")
            else redact(item, secrets)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [redact(item, secrets) for item in value]
    if isinstance(value, str):
        return redact_text(value, secrets)
    return value


class SecretRedactor(logging.Filter):
    """Replaces known secret values in a record's message and traceback."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets: set[str] = set(secrets)
        self._formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        message = record.getMessage()
        redacted = redact_text(message, self.secrets)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_text(record.exc_text, self.secrets)
        if record.stack_info:
            record.stack_info = redact_text(record.stack_info, self.secrets)
        return True


class _RedactingRecordFactory:
    """Applies the redactor when a record is made, so that every logger and every handler,
    including those configured later (uvicorn's), only ever sees redacted records."""

    def __init__(self, wrapped: Any, redactor: SecretRedactor) -> None:
        self.wrapped = wrapped
        self.redactor = redactor

    def __call__(self, *args: Any, **kwargs: Any) -> logging.LogRecord:
        record: logging.LogRecord = self.wrapped(*args, **kwargs)
        try:
            self.redactor.filter(record)
        except Exception:
            # The message does not format (wrong arguments): keep it readable, and redacted.
            record.msg = redact_text(f"{record.msg} {record.args!r}", self.redactor.secrets)
            record.args = None
        return record


def install_secret_redaction(secrets: Iterable[str]) -> SecretRedactor:
    """Redact `secrets` in every log record of this process from now on (idempotent: a
    second call adds its secrets to the same redactor)."""
    factory = logging.getLogRecordFactory()
    if isinstance(factory, _RedactingRecordFactory):
        factory.redactor.secrets.update(secrets)
        return factory.redactor
    redactor = SecretRedactor(secrets)
    logging.setLogRecordFactory(_RedactingRecordFactory(factory, redactor))
    return redactor
