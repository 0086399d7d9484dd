"""The release queue on Redis: the scripts called, their answers read into facts.

Nothing here reads the database; appointments.release_queue.services decides who may
join and what a patient is told. Redis errors propagate (redis.RedisError): the services
treat them as "the queue is unavailable" and booking falls back to the usual path.
"""

import random
from dataclasses import dataclass, replace

from appointments.release_queue import keys
from appointments.release_queue.schedule import QueuePlan, fair_order
from appointments.release_queue.scripts import queue_scripts
from appointments.stock.client import stock_client
from appointments.stock.keys import prefix

DRAW_LOCK_MS = 10_000
# STATUS answers 14 facts of the queue, then the member's 4.
MEMBER_FACTS = 14


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


@dataclass(frozen=True)
class QueueFacts:
    """One STATUS answer: the session's queue, and the caller's place in it."""

    drawn: bool
    places: int  # places given (after the draw)
    admitted: int  # places admitted so far (positions 1..admitted)
    free: int  # the session's free seats in the stock
    live: int  # passes admitted and not yet used nor lapsed
    waiting_room: int  # joined and not yet placed (before the draw)
    release: float
    opens: float
    closes: float
    rate: float
    session_state: str  # the stock's: "open", "stopped", "unavailable" ("" not loaded)
    gated: bool  # the stock's session carries the gate (staff may have taken it off)
    # (member, profile id, pass until) of the places this very call admitted (their
    # notices: appointments.release_queue.notices)
    admitted_now: tuple[tuple[int, int, float], ...] = ()
    joined: bool = False
    profile_id: int | None = None
    joined_at: float | None = None
    position: int | None = None
    admitted_at: float | None = None
    until: float | None = None
    used: bool = False

    @classmethod
    def parse(cls, answer: list) -> "QueueFacts":
        parts = [_text(part) for part in answer]
        facts = cls(
            drawn=parts[1] == "1",
            places=int(parts[2]),
            admitted=int(parts[3]),
            free=int(float(parts[4])),
            live=int(parts[5]),
            waiting_room=int(parts[6]),
            release=float(parts[7]),
            opens=float(parts[8]),
            closes=float(parts[9]),
            rate=float(parts[10]),
            session_state=parts[11],
            gated=bool(parts[12]),
            admitted_now=tuple(
                (int(member), int(profile), float(until))
                for member, profile, until in (
                    entry.split(":") for entry in parts[13].split(",") if entry
                )
            ),
        )
        member = parts[MEMBER_FACTS:]
        if not member or not member[0]:
            return facts
        profile, _person, joined_at = member[0].split("|")
        admitted_at = until = None
        if member[2]:
            admitted, until_text, _profile = member[2].split("|")
            admitted_at, until = float(admitted), float(until_text)
        return replace(
            facts,
            joined=True,
            profile_id=int(profile),
            joined_at=float(joined_at),
            position=int(float(member[1])) if member[1] else None,
            admitted_at=admitted_at,
            until=until,
            used=member[3] == "1",
        )


def queue_prepare(
    *, session_id: int, plan: QueuePlan, slot_ids: list[int], expire_at: int
) -> bool:
    """Write the session's plan (kept once drawn). True when written now."""
    return bool(
        queue_scripts().prepare(
            args=[
                prefix(),
                session_id,
                repr(plan.release),
                repr(plan.opens),
                repr(plan.closes),
                repr(plan.rate),
                plan.burst,
                repr(plan.window),
                ",".join(str(pk) for pk in slot_ids),
                expire_at,
            ]
        )
    )


def join_args(
    *, session_id: int, member: int, person: str, profile_id: int, now: float
) -> list:
    """JOIN's ARGV (queue_join, and the simulation's pipelines)."""
    return [prefix(), session_id, member, person, profile_id, repr(now)]


def join_answer(raw: list) -> tuple[str, str]:
    """JOIN's answer: ("joined", ""), ("exists", the place's profile id), or a refusal's
    word: "unprepared", "not_open", "closed", "person_taken"."""
    answer = [_text(part) for part in raw]
    return answer[0], answer[1] if len(answer) > 1 else ""


def queue_join(
    *, session_id: int, member: int, person: str, profile_id: int, now: float
) -> tuple[str, str]:
    """Take a place (join_answer says what came of it)."""
    args = join_args(
        session_id=session_id,
        member=member,
        person=person,
        profile_id=profile_id,
        now=now,
    )
    return join_answer(queue_scripts().join(args=args))


def queue_draw(
    *, session_id: int, now: float, rng: random.Random | None = None
) -> int | None:
    """Draw the places, once, if due: the number of places, or None when another
    process is drawing (or it is not time yet)."""
    client = stock_client()
    lock = keys.draw_lock_key(session_id)
    if not client.set(lock, "1", nx=True, px=DRAW_LOCK_MS):
        return None
    try:
        lobby = [
            _text(member) for member in client.smembers(keys.lobby_key(session_id))
        ]
        order = fair_order(lobby, rng or random.SystemRandom())
        answer = [
            _text(part)
            for part in queue_scripts().draw(
                args=[prefix(), session_id, repr(now), *order]
            )
        ]
    finally:
        client.delete(lock)
    return int(answer[1]) if answer[0] == "drawn" and len(answer) > 1 else None


def status_args(*, session_id: int, member: int | None, now: float) -> list:
    """STATUS's ARGV (queue_status, and the simulation's pipelines)."""
    return [prefix(), session_id, repr(now), "" if member is None else member]


def status_facts(raw: list) -> QueueFacts | None:
    """STATUS's answer read; None: the queue is not prepared."""
    return QueueFacts.parse(raw) if _text(raw[0]) == "ok" else None


def queue_status(
    *, session_id: int, member: int | None, now: float
) -> QueueFacts | None:
    """Admit what is due, then the facts (the member's place too). None: not prepared."""
    args = status_args(session_id=session_id, member=member, now=now)
    return status_facts(queue_scripts().status(args=args))


def queue_leave(*, session_id: int, member: int) -> bool:
    return bool(queue_scripts().leave(args=[prefix(), session_id, member]))


def queue_used(*, session_id: int, member: int) -> None:
    queue_scripts().used(args=[prefix(), session_id, member])


def demand_count(session_id: int) -> int:
    """The accounts that tried to book the session after its release, or joined its
    queue (HyperLogLog: within about 1 %)."""
    return int(stock_client().pfcount(keys.demand_key(session_id)))


def queue_members_between(*, session_id: int, first: int, last: int) -> list[int]:
    """The members holding places `first`..`last` (1-based), in place order: whom a
    STATUS that moved `admitted` from first - 1 to last gave a pass (none had left in
    between). Read only; for the simulation, which follows admissions place by place."""
    if last < first:
        return []
    order = f"{prefix()}qo{session_id}"  # the places (keys.py: `qo<session>`)
    return [
        int(_text(member))
        for member in stock_client().zrangebyscore(order, first, last)
    ]
