"""scripts/up.sh starts every service of the workspace, on the port its settings default to, without
naming any: a service that lands (the portal) is started without editing the script."""

from __future__ import annotations

import importlib
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def up_sh(expression: str) -> str:
    """Evaluate shell code with up.sh's functions defined (sourcing it starts nothing)."""
    result = subprocess.run(
        ["bash", "-c", f"source scripts/up.sh && {expression}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_up_starts_every_service_folder_in_the_order_of_their_ports():
    services = [path.parent.name for path in ROOT.glob("services/*/pyproject.toml")]
    ports = {
        name: importlib.import_module(f"{name}.config").Settings.model_fields["port"].default
        for name in services
    }

    assert up_sh('echo "$SERVICES"').split() == sorted(services, key=ports.__getitem__)
    for name, port in ports.items():
        assert up_sh(f"service_port {name}").strip() == str(port)
