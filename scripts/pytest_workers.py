"""The pytest options `make test` runs the suite with: TEST_WORKERS pytest-xdist workers
(default: the machine's cores, at most 4; 1 runs the suite in one process), the plugin that
gives each worker a Redis database of its own (tests/xdist_worker.py), and `--dist loadgroup`
so the tests that must not overlap stay on one worker (tests/conftest.py groups them).
Prints the options on one line; nothing when one process is asked for.
"""

import os
import sys

MAX_DEFAULT_WORKERS = 4


def workers() -> int:
    wanted = os.environ.get("TEST_WORKERS", "").strip()
    if wanted:
        if not wanted.isdigit() or int(wanted) < 1:
            raise SystemExit(f"TEST_WORKERS must be a whole number from 1: {wanted!r}")
        return int(wanted)
    return max(1, min(MAX_DEFAULT_WORKERS, os.cpu_count() or 1))


def options(n_workers: int) -> list[str]:
    if n_workers == 1:
        return []
    return ["-p", "tests.xdist_worker", "-n", str(n_workers), "--dist", "loadgroup"]


if __name__ == "__main__":
    sys.stdout.write(" ".join(options(workers())) + "\n")
