"""With the release queue: the waiting room, the fair draw, admission, booking with a pass.

Before the release the patients join (in time order, pipelined); scripts keep firing TAKE
from just before the release for `hammer_seconds` (the gate answers "queue_waiting"). At the
release the places of every session are drawn (`store.queue_draw` with the seed's
generator), then the virtual clock ticks STATUS for every session every `tick` seconds
while places wait and seats are free; idle, it jumps to the next join after the release or
the next lapse of a pass. Whom a tick admitted is read from the places
(`store.queue_members_between`); each books once: a script within 50 ms, a human after the
app's next poll and the time to pick and confirm. A pass not used lapses at its window's
end, and the next tick admits the next place for its seat. Everything stops at the gate's
end (RELEASE_QUEUE_MINUTES after the release): from then anyone books as usual.
"""

import heapq
import math
import random

from appointments.release_queue.schedule import QueuePlan
from appointments.release_queue.simulation.calls import Calls
from appointments.release_queue.simulation.events import (
    BOOK,
    TRY,
    Clock,
    RunResult,
    TakeBatch,
)
from appointments.release_queue.simulation.layout import (
    RELEASE,
    Layout,
    layout_write,
)
from appointments.release_queue.simulation.params import Params
from appointments.release_queue.simulation.patients import Patient
from appointments.release_queue.simulation.without_queue import script_try_at
from appointments.release_queue.store import (
    QueueFacts,
    queue_draw,
    queue_members_between,
    queue_prepare,
)

JOIN_CHUNK = 1_000


def queue_plan(params: Params, release: float) -> QueuePlan:
    return QueuePlan(
        release=release,
        opens=release - params.open_minutes * 60,
        closes=release + params.gate_minutes * 60,
        rate=params.rate,
        burst=params.burst,
        window=params.window,
    )


class QueueRun:
    def __init__(
        self, params: Params, crowd: list[Patient], calls: Calls, rng: random.Random
    ):
        self.params, self.crowd, self.calls, self.rng = params, crowd, calls, rng
        self.result = RunResult()
        self.clock = Clock()
        self.batch = TakeBatch(params.min_gap)
        self.admitted_at: list[float | None] = [None] * len(crowd)
        self.won = [False] * len(crowd)
        self.tries = [0] * len(crowd)
        self.expiries: list[tuple[float, int]] = []  # (pass until, patient index)
        self.drawn = False
        self.places_admitted = [0] * params.sessions
        self.layout: Layout | None = None

    def run(self, first_session: int) -> RunResult:
        params = self.params
        gate_end = params.gate_minutes * 60
        self.layout = layout = layout_write(
            params, first_session=first_session, gate_until=RELEASE + gate_end
        )
        plan = queue_plan(params, layout.release)
        for session_id, slot_id in zip(
            layout.session_ids, layout.slot_ids, strict=True
        ):
            queue_prepare(
                session_id=session_id,
                plan=plan,
                slot_ids=[slot_id],
                expire_at=layout.expire_at,
            )
        by_time = sorted(self.crowd, key=lambda p: (p.join_at, p.index))
        early = [p for p in by_time if p.join_at < 0]
        late = [p for p in by_time if p.join_at >= 0]
        for first in range(0, len(early), JOIN_CHUNK):
            self._join(early[first : first + JOIN_CHUNK])
        for patient in self.crowd:
            if patient.scripted:
                self.clock.push(script_try_at(params, 0, self.rng), TRY, patient.index)
        tick: int | None = 0
        j = 0
        while True:
            at_tick = tick * params.tick if tick is not None else math.inf
            at_join = late[j].join_at if j < len(late) else math.inf
            at = min(at_tick, at_join, self.clock.next_at())
            if self.batch.pending and (
                at == math.inf or at in (at_tick, at_join) or self.batch.due(at)
            ):
                self._send()
                continue
            if at == math.inf or at >= gate_end:
                break
            if at == at_tick:
                tick = self._tick(tick, late[j].join_at if j < len(late) else math.inf)
            elif at == at_join:
                self._join([late[j]])
                j += 1
                if tick is None:
                    tick = math.ceil(at / params.tick)
            else:
                at, _order, kind, index = self.clock.pop()
                self.batch.add(at, kind, index)
        self.result.unsold = params.seats - self.result.seats
        return self.result

    def _join(self, patients: list[Patient]) -> None:
        layout = self.layout
        answers = self.calls.joins(
            [
                (
                    layout.session_of(p),
                    p.user_id,
                    p.person,
                    p.profile_id,
                    layout.release + p.join_at,
                )
                for p in patients
            ]
        )
        for code, _held in answers:
            self.result.join_answers[code] += 1

    def _tick(self, tick: int, next_join: float) -> int | None:
        """STATUS for every session at this tick; the passes given followed; the next
        tick (None: nothing can be admitted until the next join)."""
        params, layout = self.params, self.layout
        at = tick * params.tick
        now = layout.release + at
        if not self.drawn:
            for session_id in layout.session_ids:
                draw = random.Random(self.rng.getrandbits(64))
                if queue_draw(session_id=session_id, now=now, rng=draw) is None:
                    raise RuntimeError(f"session {session_id} was not drawn")
            self.drawn = True
        facts = self.calls.statuses(layout.session_ids, now)
        pacing = False
        for session, (session_id, fact) in enumerate(
            zip(layout.session_ids, facts, strict=True)
        ):
            if fact is None:
                raise RuntimeError(f"session {session_id} lost its queue")
            self._admitted(session, session_id, fact, at)
            pacing |= fact.admitted < fact.places and fact.free > fact.live
        if pacing:
            return tick + 1
        while self.expiries and (
            self.won[self.expiries[0][1]] or self.expiries[0][0] <= at
        ):
            heapq.heappop(self.expiries)
        upcoming = min(next_join, self.expiries[0][0] if self.expiries else math.inf)
        if upcoming == math.inf:
            return None
        return max(tick + 1, math.ceil(upcoming / params.tick))

    def _admitted(
        self, session: int, session_id: int, fact: QueueFacts, at: float
    ) -> None:
        before = self.places_admitted[session]
        if fact.admitted <= before:
            return
        self.places_admitted[session] = fact.admitted
        members = queue_members_between(
            session_id=session_id, first=before + 1, last=fact.admitted
        )
        self.result.admissions.append((at, session, len(members)))
        params = self.params
        for member in members:
            index = member - 1
            patient = self.crowd[index]
            self.admitted_at[index] = at
            heapq.heappush(self.expiries, (at + params.window, index))
            if patient.scripted:
                book = at + self.rng.uniform(params.latency_min, params.script_interval)
            else:
                book = at + self.rng.uniform(0, patient.poll) + patient.confirm
            self.clock.push(book, BOOK, index)

    def _send(self) -> None:
        params, layout, crowd = self.params, self.layout, self.crowd
        sent = self.batch.take()
        answers = self.calls.takes_sent(sent, layout, crowd)
        for (at, kind, i), answer in zip(sent, answers, strict=True):
            code = answer[0]
            self.result.answers[code] += 1
            if code == "won":
                self.won[i] = True
                self.result.won(at, i, crowd[i].scripted)
                admitted = self.admitted_at[i]
                if admitted is None or admitted > at:
                    self.result.early_wins += 1
            if kind != TRY or self.won[i] or code in ("full", "booked"):
                continue
            self.tries[i] += 1
            again = script_try_at(params, self.tries[i], self.rng)
            if again < params.hammer_seconds:
                self.clock.push(again, TRY, i)


def run_with_queue(
    params: Params,
    crowd: list[Patient],
    calls: Calls,
    rng: random.Random,
    *,
    first_session: int = 1,
) -> RunResult:
    """One run on sessions `first_session`.. (the users written: layout.users_write)."""
    return QueueRun(params, crowd, calls, rng).run(first_session)
