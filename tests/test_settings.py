from __future__ import annotations

import pytest

from gateway.settings import ConfigurationError, Environment, Settings, load_settings


def test_a_bad_url_is_refused_with_one_line_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MONGODB_URL", "http://not-mongo")
    with pytest.raises(ConfigurationError) as caught:
        load_settings(_env_file=None)
    message = str(caught.value)
    assert message.startswith("MONGODB_URL:")
    assert "\n" not in message


def test_a_missing_required_setting_is_named() -> None:
    settings = Settings(_env_file=None, mongodb_url=None, redis_url="redis://localhost:6379/0")  # type: ignore[call-arg]
    with pytest.raises(ConfigurationError, match=r"^MONGODB_URL is required"):
        settings.require("mongodb_url", "redis_url")


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEWAY_ENV", "dev")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6390/2")
    monkeypatch.setenv("GATEWAY_PORT", "9100")
    settings = load_settings(_env_file=None)
    assert settings.gateway_env is Environment.DEV
    assert settings.is_dev
    assert str(settings.redis_url) == "redis://127.0.0.1:6390/2"
    assert settings.gateway_port == 9100


def test_a_port_out_of_range_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEWAY_PORT", "70000")
    with pytest.raises(ConfigurationError, match=r"^GATEWAY_PORT:"):
        load_settings(_env_file=None)
