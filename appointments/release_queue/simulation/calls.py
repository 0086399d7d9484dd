"""The real scripts, called in pipelines and timed by the wall clock.

The arguments and the reading of the answers are those of the production calls, from the
same functions: appointments.release_queue.store (join_args/join_answer,
status_args/status_facts) and appointments.stock.scripts (take_call/take_answer). Only the
sending differs: pipelines, since 20,000 joins one round trip each would measure the
network.
Calls within one pipeline run on Redis one after the other, in the order given, so TAKEs
sent in time order are decided in time order.

Each batch's size and wall time are kept, so `get_baseline` can send plain GETs in the
very same batches: the ratio compares the scripts with the cheapest command Redis has, on
the same connection, client and process.
"""

import time
from dataclasses import dataclass, field

from appointments.release_queue.scripts import queue_scripts
from appointments.release_queue.simulation.layout import Layout
from appointments.release_queue.simulation.patients import Patient
from appointments.release_queue.store import (
    QueueFacts,
    join_answer,
    join_args,
    status_args,
    status_facts,
)
from appointments.stock import keys
from appointments.stock.client import stock_client
from appointments.stock.scripts import scripts, take_answer, take_call


@dataclass
class Timing:
    calls: int = 0
    seconds: float = 0.0
    batches: list[int] = field(default_factory=list)

    def add(self, calls: int, seconds: float) -> None:
        self.calls += calls
        self.seconds += seconds
        self.batches.append(calls)

    @property
    def per_second(self) -> float:
        return self.calls / self.seconds if self.seconds else 0.0


@dataclass
class Calls:
    join: Timing = field(default_factory=Timing)
    status: Timing = field(default_factory=Timing)
    take: Timing = field(default_factory=Timing)

    def joins(
        self, requests: list[tuple[int, int, str, int, float]]
    ) -> list[tuple[str, str]]:
        """JOIN for each (session id, member, person, profile id, now), in one pipeline."""
        if not requests:
            return []
        began = time.perf_counter()
        pipe = stock_client().pipeline(transaction=False)
        join = queue_scripts().join
        for session_id, member, person, profile_id, now in requests:
            args = join_args(
                session_id=session_id,
                member=member,
                person=person,
                profile_id=profile_id,
                now=now,
            )
            join(args=args, client=pipe)
        answers = pipe.execute()
        self.join.add(len(requests), time.perf_counter() - began)
        return [join_answer(answer) for answer in answers]

    def statuses(self, session_ids: list[int], now: float) -> list[QueueFacts | None]:
        """STATUS (no member) for each session at `now`: admits what is due."""
        began = time.perf_counter()
        pipe = stock_client().pipeline(transaction=False)
        status = queue_scripts().status
        for session_id in session_ids:
            args = status_args(session_id=session_id, member=None, now=now)
            status(args=args, client=pipe)
        answers = pipe.execute()
        self.status.add(len(session_ids), time.perf_counter() - began)
        return [status_facts(answer) for answer in answers]

    def takes(self, requests: list[tuple[int, int, int, float]]) -> list[list[str]]:
        """TAKE for each (slot id, user id, profile id, now), in the order given."""
        if not requests:
            return []
        began = time.perf_counter()
        pipe = stock_client().pipeline(transaction=False)
        take = scripts().take
        for slot_id, user_id, profile_id, now in requests:
            keys_, args = take_call(
                slot_id=slot_id, user_id=user_id, profile_id=profile_id, now=now
            )
            take(keys=keys_, args=args, client=pipe)
        answers = pipe.execute()
        self.take.add(len(requests), time.perf_counter() - began)
        return [take_answer(answer) for answer in answers]

    def takes_sent(
        self,
        sent: list[tuple[float, str, int]],
        layout: Layout,
        crowd: list[Patient],
    ) -> list[list[str]]:
        """TAKE for a batch of (seconds after the release, kind, patient index): each
        patient books their session's slot for their first profile."""
        return self.takes(
            [
                (
                    layout.slot_of(crowd[i]),
                    crowd[i].user_id,
                    crowd[i].profile_id,
                    layout.release + at,
                )
                for at, _kind, i in sent
            ]
        )


def get_baseline(batches: list[int]) -> Timing:
    """Plain GETs in the same batches (one key of the run's namespace)."""
    client = stock_client()
    key = f"{keys.prefix()}get"
    client.set(key, "1")
    timing = Timing()
    for size in batches:
        began = time.perf_counter()
        pipe = client.pipeline(transaction=False)
        for _ in range(size):
            pipe.get(key)
        pipe.execute()
        timing.add(size, time.perf_counter() - began)
    return timing
