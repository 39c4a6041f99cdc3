"""The image built once per test session with `deploy.image` (Podman, the Debian base made
from Debian's packages unless BASE_IMAGE names one), an environment file that points its
containers at the session's MongoDB, Valkey and sandbox, and the containers a test started."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from deploy.image import BuiltImage, build_image
from gateway.processes import free_port
from gateway.settings import Settings
from tests.image.support import Container, Deployment
from tests.support_sandbox import SandboxHandle

# A tag of its own, so that the tests never replace the image `make image` built.
TEST_IMAGE = "localhost/erp-crm-gateway:test"


@pytest.fixture(scope="session")
def built_image(tmp_path_factory: pytest.TempPathFactory) -> BuiltImage:
    log = tmp_path_factory.mktemp("image") / "build.log"
    with log.open("w") as output:
        try:
            return build_image(TEST_IMAGE, os.environ.get("BASE_IMAGE"), output=output)
        except Exception as exc:
            tail = "\n".join(log.read_text(errors="replace").splitlines()[-30:])
            pytest.fail(f"the image did not build: {exc}\n{tail}")


@pytest.fixture
def deployment(settings: Settings, sandbox: SandboxHandle, tmp_path: Path) -> Deployment:
    """The production settings of a deployment, as an environment file: the test's database
    and Redis, both connectors on the sandbox, the API on loopback on a port of its own."""
    port = free_port()
    values = {
        "MONGODB_URL": str(settings.mongodb_url),
        "MONGODB_DATABASE": settings.mongodb_database,
        "REDIS_URL": str(settings.redis_url),
        "GATEWAY_HOST": "127.0.0.1",
        "GATEWAY_PORT": str(port),
        "CRM_URL": sandbox.dataverse_url,
        "CRM_TOKEN_URL": sandbox.token_url,
        "CRM_CLIENT_ID": sandbox.client_id,
        "CRM_CLIENT_SECRET": sandbox.client_secret,
        "BC_URL": sandbox.bc_url,
        "BC_TOKEN_URL": sandbox.token_url,
        "BC_CLIENT_ID": sandbox.client_id,
        "BC_CLIENT_SECRET": sandbox.client_secret,
        "BC_COMPANY_ID": sandbox.company_id,
        # The synchronization the test starts is the worker's only work.
        "SCHEDULER_ENABLED": "false",
    }
    env_file = tmp_path / "gateway.env"
    env_file.write_text("".join(f"{key}={value}\n" for key, value in values.items()))
    return Deployment(env_file, f"http://127.0.0.1:{port}")


@pytest.fixture
def containers() -> Iterator[list[Container]]:
    """Containers the test starts; their logs are printed (shown if the test fails) and they
    are removed afterwards."""
    started: list[Container] = []
    yield started
    for container in started:
        print(f"--- {container.name}\n{container.logs()}")
        container.remove()
