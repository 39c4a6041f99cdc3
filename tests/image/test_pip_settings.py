"""What an image build is handed of this machine's pip settings: where packages come from,
the CA bundle as a mounted secret, and the local directories to mount; nothing else."""

from __future__ import annotations

from pathlib import Path

from deploy.pip_settings import merged_config, pip_settings

LISTED = """\
:env:.cert='{bundle}'
:env:.default-timeout='180'
:env:.find-links='{wheels}'
global.cert='/etc/other-bundle.crt'
global.constraint='/etc/xdg/pip/constraints.txt'
global.extra-index-url='file://{repository}/simple https://mirror.example/simple'
global.find-links='/somewhere/else'
global.index-url='https://user:token@packages.example/simple'
install.find-links='/not/this/either'
"""


def test_the_environment_overrides_install_which_overrides_global() -> None:
    merged = merged_config(LISTED.format(bundle="/b.crt", wheels="/w", repository="/r"))
    assert merged["find-links"] == "/w"
    assert merged["cert"] == "/b.crt"
    assert merged["index-url"] == "https://user:token@packages.example/simple"


def test_sources_are_kept_the_bundle_is_the_mounted_secret_local_dirs_are_mounted(
    tmp_path: Path,
) -> None:
    bundle = tmp_path / "bundle.crt"
    bundle.write_text("-----BEGIN CERTIFICATE-----\n")
    wheels = tmp_path / "wheels"
    (tmp_path / "repository" / "simple").mkdir(parents=True)
    wheels.mkdir()
    listed = LISTED.format(bundle=bundle, wheels=wheels, repository=tmp_path / "repository")

    settings = pip_settings(merged_config(listed), {})

    assert settings.conf.splitlines() == [
        "[global]",
        "index-url = https://user:token@packages.example/simple",
        f"extra-index-url = file://{tmp_path}/repository/simple https://mirror.example/simple",
        f"find-links = {wheels}",
        "default-timeout = 180",
        "cert = /run/secrets/ca-bundle",
    ]
    assert settings.ca_bundle == bundle
    # A file:// index's links lead beside its simple/ directory: the repository is mounted.
    assert settings.local_dirs == (tmp_path / "repository", wheels)


def test_local_directories_missing_here_are_left_out(tmp_path: Path) -> None:
    listed = LISTED.format(bundle=tmp_path / "none.crt", wheels="/no/wheels", repository="/no")

    settings = pip_settings(
        merged_config(listed),
        {"SSL_CERT_FILE": str(tmp_path / "no.crt")},
        default_ca_bundle=tmp_path / "none-either.crt",
    )

    lines = settings.conf.splitlines()
    assert "extra-index-url = https://mirror.example/simple" in lines
    assert not [line for line in lines if line.startswith(("find-links", "cert"))]
    assert settings.local_dirs == ()
    assert settings.ca_bundle is None
