"""After a booking phase: poll each booking ticket (a 202's) until it is final, for a while.

Each pending ticket is read with its patient's JWT (`GET` the answer's poll path) in
rounds, until every ticket is `booked` or `refused` or the time is up; a ticket still
`queued` then is reported as such (benchmarks/rush/verdicts.py). With no 202 at all, as
long as the endpoint only answers 201 and 409, nothing is sent.
"""

import threading
import time
from dataclasses import dataclass

from benchmarks.rush.client import REQUEST_ERRORS, Connection
from benchmarks.rush.verdicts import Answer, TicketState, ticket_read

ROUND_PAUSE = 0.2  # seconds between two rounds of polls


@dataclass
class Settled:
    """The pending bookings' last ticket states (by booking index), and the polling."""

    states: dict[int, TicketState]
    polls: int = 0  # GETs sent
    failed_polls: int = 0  # of which without a ticket status (error, no answer)
    seconds: float = 0.0  # the polling's wall time


@dataclass(frozen=True)
class Pending:
    index: int  # the booking's index in its phase
    token: str
    answer: Answer


def tickets_settle(
    *,
    port: int,
    pending: list[Pending],
    started: float,
    budget: float,
    concurrency: int,
    request_timeout: float,
) -> Settled:
    """Each pending booking's last ticket state, and what the polling took.

    `started`: the phase's time.perf_counter() start, so each state's `at` is on the
    phase's clock. Stops when every ticket is final or after `budget` seconds.
    """
    began = time.perf_counter()
    settled = Settled(
        {p.index: TicketState("queued", "", p.answer.at) for p in pending}
    )
    deadline = began + budget
    while True:
        waiting = [p for p in pending if not settled.states[p.index].final]
        if not waiting or time.perf_counter() >= deadline:
            break
        found = _poll_round(
            port=port,
            waiting=waiting,
            started=started,
            concurrency=concurrency,
            request_timeout=request_timeout,
        )
        settled.polls += len(waiting)
        settled.failed_polls += len(waiting) - len(found)
        settled.states.update(found)
        if all(settled.states[p.index].final for p in waiting):
            break
        time.sleep(max(0.0, min(ROUND_PAUSE, deadline - time.perf_counter())))
    settled.seconds = time.perf_counter() - began if pending else 0.0
    return settled


def _poll_round(
    *,
    port: int,
    waiting: list[Pending],
    started: float,
    concurrency: int,
    request_timeout: float,
) -> dict[int, TicketState]:
    """Read each waiting ticket once, over up to `concurrency` connections."""
    found: dict[int, TicketState] = {}
    lock = threading.Lock()
    queue = iter(waiting)

    def lane() -> None:
        conn = Connection(port, request_timeout)
        try:
            while True:
                with lock:
                    item = next(queue, None)
                if item is None:
                    return
                headers = {"Authorization": f"Bearer {item.token}"}
                try:
                    status, data = conn.request("GET", item.answer.poll, None, headers)
                except REQUEST_ERRORS as exc:
                    status, data = 0, type(exc).__name__.encode()
                state = ticket_read(status, data, at=time.perf_counter() - started)
                with lock:
                    # A failed poll says nothing new: the ticket stays as last read.
                    if state.status:
                        found[item.index] = state
        finally:
            conn.close()

    threads = [
        threading.Thread(target=lane)
        for _ in range(max(1, min(concurrency, len(waiting))))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return found
