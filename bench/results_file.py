"""Where benchmark results go: JSON under `bench/results/`, with the machine they were measured on."""

from __future__ import annotations

import json
import os
import platform
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


def machine() -> dict[str, Any]:
    meminfo = Path("/proc/meminfo").read_text().splitlines()
    memory_kib = next(int(line.split()[1]) for line in meminfo if line.startswith("MemTotal"))
    return {
        "cores": os.cpu_count(),
        "memory_gib": round(memory_kib / 1024 / 1024, 1),
        "python": platform.python_version(),
        "load_average_at_start": os.getloadavg(),
        "cpu_probe_ms_at_start": cpu_probe_ms(),
    }


def cpu_probe_ms() -> float:
    """How fast one core of this machine is at the moment: the best of three timings of a fixed
    pure-Python loop. Why: the machine's speed swings (ten times this loop took 1.77 s and 1.08 s within
    one hour on 2026-12-01), so figures of runs made at different moments compare only next to it."""
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        total = 0
        for number in range(1_000_000):
            total += number
        timings.append((time.perf_counter() - started) * 1000)
    return round(min(timings), 1)


def write_results(name: str, report: dict[str, Any]) -> Path:
    """`bench/results/<name>-<UTC time>.json`, with the machine's speed at the end of the run next to
    its speed at the start; returns its path."""
    report.setdefault("machine", {})["cpu_probe_ms_at_end"] = cpu_probe_ms()
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}-{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    path.write_text(json.dumps(report, indent=2, default=str) + "\n")
    return path
