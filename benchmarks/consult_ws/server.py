"""The ASGI application under daphne, in its own process: start, wait until it answers, stop."""

import socket
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import CommandError


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def daphne_start(
    *, port: int, env: dict[str, str], log_path: Path, seconds: float = 60
) -> subprocess.Popen:
    """daphne config.asgi:application on 127.0.0.1:`port` with `env`; returns once it
    accepts connections (or raises CommandError with the end of its log)."""
    log = open(log_path, "ab")  # noqa: SIM115 - handed to the child, closed by the OS
    try:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "daphne",
                "--bind",
                "127.0.0.1",
                "--port",
                str(port),
                "config.asgi:application",
            ],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    finally:
        log.close()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log_path.read_text(errors="replace")[-2000:]
            raise CommandError(
                f"daphne exited with status {process.returncode}:\n{tail}"
            )
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return process
        except OSError:
            time.sleep(0.2)
    daphne_stop(process)
    raise CommandError(f"daphne did not listen on port {port} within {seconds:.0f} s")


def daphne_stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)
