"""CPU time of the processes a benchmark drives, read from /proc: steadier than wall time on a busy
machine, and it tells which process a miss comes from."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path


def pids_of(pattern: str, *, children: bool = False, exact: bool = False) -> list[str]:
    """Processes whose command line matches `pattern` (`exact`: whose name is `pattern`), and with
    `children` their children too (uvicorn's workers are children of its supervisor)."""
    found = subprocess.run(
        ["pgrep", "-x" if exact else "-f", pattern], capture_output=True, text=True
    ).stdout.split()
    if children:
        for pid in list(found):
            found += subprocess.run(["pgrep", "-P", pid], capture_output=True, text=True).stdout.split()
    return found


def cpu_seconds(pids: Sequence[str]) -> float:
    """User and system time the processes have used so far; a process that has ended counts nothing."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime + stime, in clock ticks
    return total / os.sysconf("SC_CLK_TCK")


class CpuMeter:
    """CPU seconds of named groups of processes between `start()` and `stop()`."""

    def __init__(self, groups: Mapping[str, Sequence[str]]) -> None:
        self.groups = {name: list(pids) for name, pids in groups.items()}
        self._started: dict[str, float] = {}

    def start(self) -> None:
        self._started = {name: cpu_seconds(pids) for name, pids in self.groups.items()}

    def stop(self) -> dict[str, float]:
        return {name: cpu_seconds(pids) - self._started[name] for name, pids in self.groups.items()}
