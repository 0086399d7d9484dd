"""The load client's own CPU: how much of the machine the client took while it measured.

A client that needs most of the machine measures itself, not the server. Two sources:
a child process (wrk), whose user + system seconds come from `os.wait4`'s resource usage
when it is reaped; and the Python client, whose threads run in this process, measured by
the process's CPU time (all its threads) before and after the phase.
"""

import os
import subprocess
import threading
import time
from dataclasses import dataclass
from typing import Any, Protocol


class _Usage(Protocol):
    ru_utime: float
    ru_stime: float


@dataclass(frozen=True)
class CpuUse:
    """`seconds` of CPU (user + system) over `wall` seconds, on a machine of `cores`."""

    seconds: float
    wall: float
    cores: int

    @property
    def cores_busy(self) -> float | None:
        """CPU seconds per wall second: 1.0 is one core kept busy."""
        return self.seconds / self.wall if self.wall > 0 else None

    @property
    def machine_share(self) -> float | None:
        """The fraction of the whole machine (all its cores) the client took."""
        if self.wall <= 0 or self.cores < 1:
            return None
        return self.seconds / (self.wall * self.cores)

    def as_dict(self) -> dict[str, Any]:
        busy, share = self.cores_busy, self.machine_share
        return {
            "cpu_seconds": round(self.seconds, 3),
            "wall_seconds": round(self.wall, 3),
            "cores": self.cores,
            "cores_busy": None if busy is None else round(busy, 3),
            "machine_share": None if share is None else round(share, 3),
        }


def machine_cores() -> int:
    return os.cpu_count() or 1


def usage_seconds(usage: _Usage) -> float:
    """User + system CPU seconds of a resource usage (os.wait4's, resource.getrusage's)."""
    return usage.ru_utime + usage.ru_stime


def process_cpu_seconds() -> float:
    """This process's user + system CPU seconds so far, all its threads together."""
    return time.process_time()


def wait_with_usage(process: subprocess.Popen, *, timeout: float) -> tuple[int, float]:
    """Reap `process` with os.wait4: its exit code and its user + system CPU seconds.

    Killed when it outlives `timeout` (its exit code is then negative). The Popen object
    is told the exit code, so it will not try to reap the process again.
    """
    watchdog = threading.Timer(timeout, process.kill)
    watchdog.daemon = True
    watchdog.start()
    try:
        _, status, usage = os.wait4(process.pid, 0)
    finally:
        watchdog.cancel()
    process.returncode = os.waitstatus_to_exitcode(status)
    return process.returncode, usage_seconds(usage)
