"""What a patient is told about their place: the queue's facts turned into a state, the
wait, and when to ask again. Pure: the services read the facts, this words them."""

import datetime
import math
from dataclasses import dataclass
from enum import StrEnum

from django.utils import timezone

from appointments.release_queue.store import QueueFacts


class State(StrEnum):
    OFF = "off"  # the session does not use the queue: book as usual
    FALLBACK = "fallback"  # the queue is unavailable (Redis): book as usual
    STOPPED = "stopped"  # the session was stopped (停诊)
    NOT_OPEN = "not_open"  # the waiting room is not open yet
    OPEN = "open"  # the waiting room is open; the caller holds no place
    CLOSED = "closed"  # the gate is over: book as usual
    DRAWING = "drawing"  # holds a place, drawn at the release
    WAITING = "waiting"  # has a place number, not admitted yet
    ADMITTED = "admitted"  # may book until pass_until
    BOOKED = "booked"  # the pass booked a seat
    LAPSED = "lapsed"  # admitted, did not book in time
    SOLD_OUT = "sold_out"  # holds a place, no seat is left (one may come back)


@dataclass(frozen=True)
class Place:
    session_id: int
    state: State
    opens_at: datetime.datetime | None = None
    release_at: datetime.datetime | None = None
    closes_at: datetime.datetime | None = None
    waiting_room: int = 0  # holding a place before the draw
    places: int = 0  # places given by the draw and since
    admitted: int = 0  # places admitted so far
    position: int | None = None
    ahead: int | None = None  # places before the caller's not admitted yet
    profile_id: int | None = None
    admitted_at: datetime.datetime | None = None
    pass_until: datetime.datetime | None = None
    estimated_wait_seconds: int | None = None
    likely_seat: bool | None = (
        None  # enough free seats for the places ahead and this one
    )
    seats_left: int | None = None
    poll_after_seconds: int | None = None


def utc_at(seconds: float | None) -> datetime.datetime | None:
    """A Unix time of the queue's as an aware datetime (None stays None)."""
    if seconds is None:
        return None
    return datetime.datetime.fromtimestamp(seconds, tz=datetime.UTC)


def _clamp(value: float, low: int, high: int) -> int:
    return int(min(high, max(low, math.ceil(value))))


def place_of(session_id: int, facts: QueueFacts, now: float) -> Place:
    """The caller's place as the facts show it at `now`."""
    times = {
        "opens_at": utc_at(facts.opens),
        "release_at": utc_at(facts.release),
        "closes_at": utc_at(facts.closes),
        "waiting_room": facts.waiting_room,
        "places": facts.places,
        "admitted": facts.admitted,
        "seats_left": facts.free,
    }
    if facts.session_state == "stopped":
        return Place(session_id, State.STOPPED, **times)
    if not facts.gated:
        return Place(session_id, State.OFF, **times)
    if not facts.joined:
        if now >= facts.closes:
            state = State.CLOSED
        elif now < facts.opens:
            state = State.NOT_OPEN
        else:
            state = State.OPEN
        poll = (
            _clamp((facts.opens - now) / 2, 5, 60) if state is State.NOT_OPEN else None
        )
        return Place(session_id, state, poll_after_seconds=poll, **times)
    mine = {
        "profile_id": facts.profile_id,
        "position": facts.position,
        "admitted_at": utc_at(facts.admitted_at),
        "pass_until": utc_at(facts.until),
    }
    if facts.used:
        return Place(session_id, State.BOOKED, **mine, **times)
    if facts.until is not None:
        if now < facts.until:
            return Place(
                session_id, State.ADMITTED, poll_after_seconds=5, **mine, **times
            )
        return Place(session_id, State.LAPSED, **mine, **times)
    if now >= facts.closes:
        return Place(session_id, State.CLOSED, **mine, **times)
    if facts.position is None:
        poll = _clamp((facts.release - now) / 2, 1, 30)
        return Place(
            session_id, State.DRAWING, poll_after_seconds=poll, **mine, **times
        )
    ahead = max(0, facts.position - facts.admitted - 1)
    room = facts.free - facts.live
    if facts.free <= 0 and facts.live == 0:
        return Place(
            session_id,
            State.SOLD_OUT,
            ahead=ahead,
            likely_seat=False,
            poll_after_seconds=15,
            **mine,
            **times,
        )
    likely = ahead + 1 <= room
    wait = math.ceil((ahead + 1) / facts.rate) if likely else None
    return Place(
        session_id,
        State.WAITING,
        ahead=ahead,
        estimated_wait_seconds=wait,
        likely_seat=likely,
        poll_after_seconds=_clamp((wait or 20) / 4, 1, 10),
        **mine,
        **times,
    )


def now_seconds(now: datetime.datetime | None) -> float:
    return (now or timezone.now()).timestamp()
