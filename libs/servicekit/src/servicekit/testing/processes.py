"""Services as real processes, for end-to-end tests: started like `scripts/up.sh` starts them."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def running_service(command: list[str], env: dict[str, str], port: int, log_file: Path) -> Iterator[str]:
    """Start the service, wait until /readyz says ready, yield its base URL, stop it afterwards."""
    base_url = f"http://127.0.0.1:{port}"
    with log_file.open("w") as log:
        process = subprocess.Popen(
            command, env={**os.environ, **env, "PORT": str(port)}, stdout=log, stderr=log
        )
        try:
            _wait_until_ready(base_url, process, log_file)
            yield base_url
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


def _wait_until_ready(
    base_url: str, process: subprocess.Popen[bytes], log_file: Path, within: float = 60
) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"service exited with {process.returncode}:\n{log_file.read_text()[-3000:]}")
        try:
            if httpx.get(f"{base_url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"service not ready within {within}s:\n{log_file.read_text()[-3000:]}")
