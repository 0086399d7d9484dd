"""The load client: C threads, each on its own keep-alive connection, send the bookings."""

import http.client
import json
import threading
import time
from dataclasses import dataclass
from typing import Any

from benchmarks.rush.report import Outcome, summarize

WARM_UP_PATH = "/api/v1/appointments/"


class _Connection:
    """One keep-alive connection; reconnects once if the server dropped it while idle."""

    STALE = (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError)

    def __init__(self, port: int, timeout: float) -> None:
        self.port = port
        self.timeout = timeout
        self.conn: http.client.HTTPConnection | None = None
        self.retried = 0

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def request(
        self, method: str, path: str, body: bytes | None, headers: dict[str, str]
    ) -> tuple[int, bytes]:
        for attempt in range(2):
            reused = self.conn is not None
            if self.conn is None:
                self.conn = http.client.HTTPConnection(
                    "127.0.0.1", self.port, timeout=self.timeout
                )
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
            except self.STALE:
                self.close()
                # A reused connection closed before any answer: the server never read the
                # request (it drops only idle connections), so sending it again is safe.
                if reused and attempt == 0:
                    self.retried += 1
                    continue
                raise
            except BaseException:
                self.close()
                raise
            if response.will_close:
                self.close()
            return response.status, data
        raise AssertionError("unreachable")


def _error_code(data: bytes) -> str:
    try:
        return str(json.loads(data)["error"]["code"])
    except (ValueError, KeyError, TypeError):
        return ""


@dataclass(frozen=True)
class Booking:
    token: str
    body: bytes


def fire(
    *,
    port: int,
    path: str,
    bookings: list[Booking],
    concurrency: int,
    max_seconds: float,
    request_timeout: float,
) -> dict[str, Any]:
    """Send every booking once at `concurrency`; return the client-side figures."""
    lanes = max(1, min(concurrency, len(bookings)))
    outcomes: list[Outcome] = []
    lock = threading.Lock()
    next_index = iter(range(len(bookings)))
    clock: dict[str, float] = {}

    def start_clock() -> None:
        clock["start"] = time.perf_counter()
        clock["deadline"] = clock["start"] + max_seconds

    barrier = threading.Barrier(lanes, action=start_clock)
    retried = [0] * lanes
    failures: list[BaseException] = []

    def lane(number: int) -> None:
        conn = _Connection(port, request_timeout)
        mine: list[Outcome] = []
        try:
            # Warm up: open the connection and let the worker thread serve a first request,
            # so the clock measures bookings, not connection set-up or lazy imports.
            warm_token = bookings[number % len(bookings)].token
            try:
                conn.request(
                    "GET", WARM_UP_PATH, None, {"Authorization": f"Bearer {warm_token}"}
                )
            except (OSError, http.client.HTTPException):
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
                    code = "" if status == 201 else _error_code(data)
                except (OSError, http.client.HTTPException) as exc:
                    status, code = 0, type(exc).__name__
                mine.append(Outcome(status, code, time.perf_counter() - began))
        except BaseException as exc:  # reported after the run; never silently lost
            failures.append(exc)
            barrier.abort()
        finally:
            conn.close()
            retried[number] = conn.retried
            with lock:
                outcomes.extend(mine)

    threads = [threading.Thread(target=lane, args=(n,)) for n in range(lanes)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - clock.get("start", time.perf_counter())
    if failures:
        raise failures[0]
    return summarize(
        outcomes,
        elapsed=elapsed,
        not_sent=len(bookings) - len(outcomes),
        retried=sum(retried),
    )
