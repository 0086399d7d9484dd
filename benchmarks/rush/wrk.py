"""The throughput phases' load generator: wrk, driven with rotate.lua, and its output read.

wrk (an event loop in C with a LuaJIT script) keeps many keep-alive connections busy on a
few threads, so the client is not what limits the figures. The script rotates the request
(method, path, JWT, body) over a list, counts the expected answers by status, and prints
one extra line at the end; `--latency` makes wrk print its latency percentiles. wrk's CPU
is read when it is reaped (benchmarks/rush/cpu.py). Importing this module needs no wrk:
only running it does (`wrk_command` fails with the command that installs it).
"""

import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError

from benchmarks.rush.cpu import CpuUse, machine_cores, wait_with_usage

SCRIPT = Path(__file__).with_name("rotate.lua")
INSTALL = "scripts/system_packages.sh --for-bench (as root; or: apt-get install wrk)"


def wrk_command() -> str:
    """wrk's path, or a CommandError naming the command that installs it."""
    path = shutil.which("wrk")
    if path is None:
        raise CommandError(
            f"The rush benchmark drives its throughput phases with wrk, which is not "
            f"installed. Install it with: {INSTALL}"
        )
    return path


@dataclass(frozen=True)
class WrkRequest:
    method: str
    path: str
    token: str = ""
    body: bytes = b""


def requests_file_write(path: Path, requests: list[WrkRequest]) -> None:
    """One request a line, as rotate.lua reads them: METHOD, PATH, TOKEN, BODY by tabs."""
    lines = []
    for request in requests:
        body = request.body.decode()
        fields = (request.method, request.path, request.token, body)
        if any(ch in field for field in fields for ch in "\t\n"):
            raise ValueError(f"a tab or a newline in a request: {request!r}")
        lines.append("\t".join(fields))
    path.write_text("\n".join(lines) + "\n")


def wrk_run(
    *,
    port: int,
    requests: list[WrkRequest],
    seconds: float,
    connections: int,
    threads: int,
    expect_status: int,
    expect_code: str = "",
    timeout: float,
    workdir: Path,
    name: str,
) -> dict[str, Any]:
    """Run wrk for `seconds` against 127.0.0.1:`port`; its figures and its own CPU."""
    command = wrk_command()
    threads = max(1, min(threads, connections))
    request_file = workdir / f"{name}.requests"
    requests_file_write(request_file, requests)
    output_file = workdir / f"{name}.wrk.txt"
    argv = [
        command,
        f"--threads={threads}",
        f"--connections={connections}",
        f"--duration={max(1, round(seconds))}s",
        f"--timeout={max(1, round(timeout))}s",
        "--latency",
        f"--script={SCRIPT}",
        f"http://127.0.0.1:{port}",
        "--",
        str(request_file),
        str(threads),
        str(expect_status),
        expect_code,
    ]
    with output_file.open("w") as output:
        began = time.perf_counter()
        process = subprocess.Popen(argv, stdout=output, stderr=subprocess.STDOUT)
        returncode, cpu_seconds = wait_with_usage(process, timeout=seconds + 60)
        wall = time.perf_counter() - began
    text = output_file.read_text(errors="replace")
    if returncode != 0:
        raise CommandError(f"wrk exited with status {returncode}:\n{text}")
    figures = wrk_output_parse(text)
    # wrk's whole life (start, reading the requests, the run) against its CPU seconds.
    cpu = CpuUse(cpu_seconds, wall, machine_cores())
    return {**figures, "client": {"name": f"wrk, {threads} threads", **cpu.as_dict()}}


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}
_TIME = r"([\d.]+)(us|ms|s|m|h)"
_TOTAL = re.compile(r"^\s*(\d+) requests in " + _TIME + r",", re.M)
_RATE = re.compile(r"^Requests/sec:\s+([\d.]+)", re.M)
_PERCENTILE = re.compile(r"^\s+(50|75|90|99)%\s+" + _TIME + r"\s*$", re.M)
_SOCKET = re.compile(
    r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)"
)
_NON_2XX = re.compile(r"Non-2xx or 3xx responses: (\d+)")
_OURS = re.compile(
    r"^rush-wrk: expected=(\d+) unexpected=(\d+) statuses=(\S*) p50_us=\d+ p99_us=\d+",
    re.M,
)


def _ms(value: str, unit: str) -> float:
    return round(float(value) * _UNITS[unit], 3)


def wrk_output_parse(text: str) -> dict[str, Any]:
    """The figures of wrk's `--latency` report and rotate.lua's closing line.

    errors: answers other than the expected one, plus connections that failed
    (connect, read, write) or requests that timed out.
    """
    total, rate, ours = _TOTAL.search(text), _RATE.search(text), _OURS.search(text)
    if total is None or rate is None or ours is None:
        raise ValueError(f"not a finished wrk run of rotate.lua:\n{text}")
    percentiles = {
        int(match.group(1)): _ms(match.group(2), match.group(3))
        for match in _PERCENTILE.finditer(text)
    }
    socket = _SOCKET.search(text)
    socket_errors = dict(
        zip(
            ("connect", "read", "write", "timeout"),
            (int(n) for n in socket.groups()) if socket else (0, 0, 0, 0),
            strict=True,
        )
    )
    statuses = {
        status: int(count)
        for status, count in (
            part.split(":") for part in ours.group(3).split(",") if part
        )
    }
    non_2xx = _NON_2XX.search(text)
    unexpected = int(ours.group(2))
    return {
        "requests": int(total.group(1)),
        "seconds": round(_ms(total.group(2), total.group(3)) / 1000, 3),
        "requests_per_second": float(rate.group(1)),
        "p50_ms": percentiles.get(50),
        "p75_ms": percentiles.get(75),
        "p90_ms": percentiles.get(90),
        "p99_ms": percentiles.get(99),
        "expected": int(ours.group(1)),
        "unexpected": unexpected,
        "statuses": dict(sorted(statuses.items())),
        "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
        "socket_errors": socket_errors,
        "errors": unexpected + sum(socket_errors.values()),
    }
