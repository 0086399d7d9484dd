"""Start jobs on real threads released together, for tests of races on the real database.

    results = run_at_once([lambda: book(slot) for _ in range(50)])

Each thread gets its own database connection (Django keeps one per thread) and closes it when
its jobs are done, so the engine's row locks and unique keys decide the race, not the test.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import TypeVar, cast

import pytest
from django.db import connection, connections

T = TypeVar("T")

# The races need row locks: SQLite serialises writers instead, so they are skipped there.
needs_row_locks = pytest.mark.skipif(
    connection.vendor == "sqlite",
    reason="needs a database with row locks (MariaDB/MySQL)",
)

# MariaDB allows 151 connections by default; other clients need some too.
MAX_THREADS = 50


def run_at_once(
    jobs: Sequence[Callable[[], T]],
    *,
    max_threads: int = MAX_THREADS,
    timeout: float = 120.0,
) -> list[T | Exception]:
    """Run the jobs on up to `max_threads` threads that a barrier releases together.

    With more jobs than threads, thread k runs jobs k, k + threads, k + 2 * threads, ...
    Returns each job's result, or the exception it raised, in job order. Raises
    TimeoutError if the threads have not all finished `timeout` seconds after starting.
    """
    if not jobs:
        return []
    lanes = min(len(jobs), max_threads)
    barrier = threading.Barrier(lanes, timeout=timeout)
    results: list[T | Exception | None] = [None] * len(jobs)

    def lane(first: int) -> None:
        try:
            barrier.wait()
        except threading.BrokenBarrierError as exc:  # a thread never arrived
            for index in range(first, len(jobs), lanes):
                results[index] = exc
            return
        try:
            for index in range(first, len(jobs), lanes):
                try:
                    results[index] = jobs[index]()
                except Exception as exc:  # collected for the test to assert on
                    results[index] = exc
        finally:
            connections.close_all()  # this thread's connections only

    threads = [
        threading.Thread(target=lane, args=(k,), name=f"race-{k}", daemon=True)
        for k in range(lanes)
    ]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.join(timeout=max(0.0, deadline - time.monotonic()))
    hung = [thread.name for thread in threads if thread.is_alive()]
    if hung:
        raise TimeoutError(f"threads still running after {timeout} s: {hung}")
    return cast("list[T | Exception]", results)  # every slot was filled above
