"""`gateway apikey create|list|revoke` against the test MongoDB, as an operator runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import orjson

from gateway.auth.keys import ApiKeyStore, hash_key
from gateway.services import Services
from gateway.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def gateway(settings: Settings, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GATEWAY_", "MONGODB_"))}
    env |= {
        "MONGODB_URL": str(settings.mongodb_url),
        "MONGODB_DATABASE": settings.mongodb_database,
        "PYTHONPATH": str(ROOT),
    }
    return subprocess.run(
        [sys.executable, "-m", "gateway", "apikey", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def test_create_list_revoke(settings: Settings, services: Services, tmp_path: Path) -> None:
    created = gateway(settings, tmp_path, "create", "--name", "nightly-export", "--role", "reader")
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip()
    assert key.startswith("gw_")
    assert len(key) >= 40
    assert "cannot be shown again" in created.stderr
    assert key not in created.stderr

    stored = await services.db["api_keys"].find_one({"name": "nightly-export"})
    assert stored is not None
    assert stored["hash"] == hash_key(key)
    assert stored["role"] == "reader"
    assert key not in orjson.dumps(stored, default=str).decode()
    caller = await ApiKeyStore(services.db).authenticate(key)
    assert caller is not None
    assert caller.name == "nightly-export"

    listed = gateway(settings, tmp_path, "list")
    assert listed.returncode == 0, listed.stderr
    (row,) = [line for line in listed.stdout.splitlines() if line.startswith("nightly-export")]
    assert row.split()[1] == "reader"
    assert key not in listed.stdout
    assert stored["hash"] not in listed.stdout

    revoked = gateway(settings, tmp_path, "revoke", "nightly-export")
    assert revoked.returncode == 0, revoked.stderr
    assert "Revoked API key 'nightly-export'" in revoked.stdout
    assert await ApiKeyStore(services.db).authenticate(key) is None
    (row,) = [
        line
        for line in gateway(settings, tmp_path, "list").stdout.splitlines()
        if line.startswith("nightly-export")
    ]
    assert row.split()[-1] != "-"  # a revocation time


async def test_refusals_name_the_problem(settings: Settings, tmp_path: Path) -> None:
    assert gateway(settings, tmp_path, "create", "--name", "ops", "--role", "admin").returncode == 0
    taken = gateway(settings, tmp_path, "create", "--name", "ops", "--role", "reader")
    assert taken.returncode == 1
    assert "an API key named 'ops' already exists" in taken.stderr
    assert taken.stdout == ""

    bad_name = gateway(settings, tmp_path, "create", "--name", '{"$gt": ""}', "--role", "reader")
    assert bad_name.returncode == 1
    assert "--name: must be 1 to 64 letters" in bad_name.stderr

    bad_role = gateway(settings, tmp_path, "create", "--name", "x", "--role", "root")
    assert bad_role.returncode == 2
    assert "root" in bad_role.stderr

    unknown = gateway(settings, tmp_path, "revoke", "nobody")
    assert unknown.returncode == 1
    assert "no API key is named 'nobody'" in unknown.stderr
