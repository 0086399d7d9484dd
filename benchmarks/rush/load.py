"""The booking phases' load client: C threads, each on its own keep-alive connection.

Used where each patient's answer must be kept for the audit (wrk only counts answers).
Every booking is sent once; its answer (benchmarks.rush.verdicts.Answer) is kept at the
booking's index. The client's own CPU is the process's CPU time over the phase: its
threads are the only thing this process runs meanwhile.
"""

import threading
import time
from dataclasses import dataclass

from benchmarks.rush.client import REQUEST_ERRORS, Connection
from benchmarks.rush.cpu import process_cpu_seconds
from benchmarks.rush.verdicts import Answer, answer_read

WARM_UP_PATH = "/api/v1/appointments/"


@dataclass(frozen=True)
class Booking:
    token: str
    body: bytes
    profile_id: int


@dataclass
class Fired:
    """What a phase's client saw: one answer per booking (None: not sent in time)."""

    answers: list[Answer | None]
    started: float  # time.perf_counter() when the clock started
    seconds: float  # from the start to the last answer
    cpu_seconds: float  # the client's CPU over those seconds
    retried: int  # requests sent again after the server closed an idle connection


def fire(
    *,
    port: int,
    path: str,
    bookings: list[Booking],
    concurrency: int,
    max_seconds: float,
    request_timeout: float,
) -> Fired:
    """Send every booking once at `concurrency`; the answers, kept per booking."""
    lanes = max(1, min(concurrency, len(bookings)))
    answers: list[Answer | None] = [None] * len(bookings)
    lock = threading.Lock()
    next_index = iter(range(len(bookings)))
    clock: dict[str, float] = {}

    def start_clock() -> None:
        clock["cpu"] = process_cpu_seconds()
        clock["start"] = time.perf_counter()
        clock["deadline"] = clock["start"] + max_seconds

    barrier = threading.Barrier(lanes, action=start_clock)
    retried = [0] * lanes
    failures: list[BaseException] = []

    def lane(number: int) -> None:
        conn = Connection(port, request_timeout)
        mine: list[tuple[int, Answer]] = []
        try:
            # Warm up: open the connection and let the worker thread serve a first request,
            # so the clock measures bookings, not connection set-up or lazy imports.
            warm_token = bookings[number % len(bookings)].token
            try:
                conn.request(
                    "GET", WARM_UP_PATH, None, {"Authorization": f"Bearer {warm_token}"}
                )
            except REQUEST_ERRORS:
                conn.close()
            barrier.wait()
            while True:
                with lock:
                    index = next(next_index, None)
                if index is None or time.perf_counter() >= clock["deadline"]:
                    break
                booking = bookings[index]
                headers = {
                    "Authorization": f"Bearer {booking.token}",
                    "Content-Type": "application/json",
                }
                began = time.perf_counter()
                try:
                    status, data = conn.request("POST", path, booking.body, headers)
                except REQUEST_ERRORS as exc:
                    status, data, code = 0, b"", type(exc).__name__
                ended = time.perf_counter()
                answer = answer_read(
                    status, data, seconds=ended - began, at=ended - clock["start"]
                )
                if status == 0:
                    answer = Answer(0, code, answer.seconds, answer.at)
                mine.append((index, answer))
        except BaseException as exc:  # reported after the run; never silently lost
            failures.append(exc)
            barrier.abort()
        finally:
            conn.close()
            retried[number] = conn.retried
            with lock:
                for index, answer in mine:
                    answers[index] = answer

    threads = [threading.Thread(target=lane, args=(n,)) for n in range(lanes)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ended = time.perf_counter()
    if failures:
        raise failures[0]
    return Fired(
        answers=answers,
        started=clock["start"],
        seconds=ended - clock["start"],
        cpu_seconds=process_cpu_seconds() - clock["cpu"],
        retried=sum(retried),
    )
