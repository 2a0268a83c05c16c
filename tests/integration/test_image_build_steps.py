"""The Dockerfile's install steps work for every service, run here without Docker.

No Docker engine exists on this machine, so the image is never built in the tests. What can go wrong
in it is mostly uv's: a member's manifest missing from the dependency stage, a package the service
needs outside the folders the build copies, migrations that are not where the service looks. So this
test replays the build stage's two `uv sync` commands, taken from the Dockerfile, in a folder laid out
as the image's /app is: first only the workspace manifests and uv.lock (the `manifests` stage), then
libs/ and services/<SERVICE>/ without tests. It then runs the service's console script and checks that
its migrations are inside what was copied. uv works from its cache (filled by `uv sync` of the test
set-up), so this takes seconds.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVICES = sorted(path.parent.name for path in ROOT.glob("services/*/pyproject.toml"))
# What .dockerignore keeps out of the build context that the build stage's COPY would otherwise take.
LEFT_OUT = shutil.ignore_patterns("tests", "__pycache__", "*.pyc", ".venv", "*.egg-info", ".pytest_cache")


def uv_syncs() -> list[str]:
    """The build stage's `uv sync` commands, as written in the Dockerfile."""
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    return re.findall(r"uv sync [^&\n]*?(?=\s*(?:&&|\n))", text)


def run(command: str, service: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT"))
    }
    env.update(SERVICE=service, UV_PYTHON_DOWNLOADS="never", UV_PYTHON=sys.executable)
    return subprocess.run(
        ["bash", "-c", command], cwd=cwd, env=env, capture_output=True, text=True, check=False, timeout=300
    )


def copy_manifests(destination: Path) -> None:
    """The `manifests` stage: every pyproject.toml of the repository's members and uv.lock, nothing else."""
    for path in [ROOT / "uv.lock", ROOT / "pyproject.toml", *ROOT.glob("*/*/pyproject.toml")]:
        target = destination / path.relative_to(ROOT)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)


def test_the_dockerfile_has_the_two_syncs_this_test_replays():
    syncs = uv_syncs()

    assert len(syncs) == 2
    assert "--no-install-workspace" in syncs[0]
    assert "--no-install-workspace" not in syncs[1]


@pytest.mark.parametrize("service", SERVICES)
def test_build_steps_install_a_service_that_starts_and_finds_its_migrations(service, tmp_path):
    app = tmp_path / "app"
    first, second = uv_syncs()

    copy_manifests(app)
    dependencies = run(first, service, app)
    assert dependencies.returncode == 0, dependencies.stderr
    assert not list((app / ".venv").glob(f"lib/python*/site-packages/{service}*")), "members come later"

    shutil.copytree(ROOT / "libs", app / "libs", ignore=LEFT_OUT, dirs_exist_ok=True)
    shutil.copytree(
        ROOT / "services" / service, app / "services" / service, ignore=LEFT_OUT, dirs_exist_ok=True
    )
    members = run(second, service, app)
    assert members.returncode == 0, members.stderr

    # One import of the service (the slow part): where it looks for its migrations, then its command
    # line as the image's `service` link runs it.
    script = (
        f"import sys, {service}.main as m; print(m.MIGRATIONS.resolve()); sys.argv[1:] = ['--help']; m.run()"
    )
    started = run(f'.venv/bin/python -c "{script}"', service, app)
    assert started.returncode == 0, started.stderr
    migrations = Path(started.stdout.splitlines()[0])
    assert migrations == (app / "services" / service / "migrations").resolve()
    assert (migrations / "env.py").is_file()
    assert "{serve,migrate}" in started.stdout
    assert (app / ".venv" / "bin" / f"{service}-service").is_file()
