"""CPU time of the processes a benchmark drives, read from /proc: steadier than wall time on a busy
machine, and it tells which process a miss comes from."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path


def pids_of(pattern: str, *, children: bool = False, exact: bool = False) -> list[str]:
    """Processes whose command line matches `pattern` (`exact`: whose name is `pattern`), and with
    `children` their children too (uvicorn's workers are children of its supervisor)."""
    found = subprocess.run(
        ["pgrep", "-x" if exact else "-f", pattern], capture_output=True, text=True
    ).stdout.split()
    return with_children(found) if children else found


def with_children(pids: Sequence[str]) -> list[str]:
    """The processes and their children."""
    found = list(pids)
    for pid in pids:
        found += subprocess.run(["pgrep", "-P", pid], capture_output=True, text=True).stdout.split()
    return found


def postgresql() -> list[str]:
    """The server and every backend (one per connection)."""
    return pids_of("postgres", exact=True)


def rabbitmq() -> list[str]:
    return pids_of("beam.smp", exact=True)


def cpu_seconds(pids: Sequence[str]) -> float:
    """User and system time the processes have used so far; a process that has ended counts nothing."""
    return sum(_cpu_of(pid) for pid in pids)


def _cpu_of(pid: str) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime, in ticks


class CpuMeter:
    """CPU seconds of named groups of processes between `start()` and `stop()`. Each group is listed
    again at `stop()`, so a process started in between (a new database connection's backend) counts
    from its start; one that ended in between is lost."""

    def __init__(self, groups: Mapping[str, Callable[[], Sequence[str]]]) -> None:
        self.groups = groups
        self._started: dict[str, dict[str, float]] = {}

    def start(self) -> None:
        self._started = {
            name: {pid: _cpu_of(pid) for pid in list_group()} for name, list_group in self.groups.items()
        }

    def stop(self) -> dict[str, float]:
        return {
            name: sum(_cpu_of(pid) - self._started[name].get(pid, 0.0) for pid in list_group())
            for name, list_group in self.groups.items()
        }
