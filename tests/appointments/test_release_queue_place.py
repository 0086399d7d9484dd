"""The release queue's pure parts: the plan's checks, the fair draw, and what a patient
is told for each state of their place."""

import random
from collections import Counter
from dataclasses import replace

import pytest

from appointments.release_queue.place import State, place_of
from appointments.release_queue.schedule import QueuePlan, fair_order
from appointments.release_queue.store import QueueFacts

RELEASE = 1_900_000_000.0


def test_the_plan_refuses_what_would_never_admit_anyone():
    ok = {"release": RELEASE, "opens": RELEASE - 60, "closes": RELEASE + 60}
    QueuePlan(**ok, rate=1, burst=1, window=1)
    for bad, word in (
        ({"rate": 0, "burst": 1, "window": 1}, "rate"),
        ({"rate": float("inf"), "burst": 1, "window": 1}, "rate"),
        ({"rate": 1, "burst": 0, "window": 1}, "burst"),
        ({"rate": 1, "burst": 1, "window": 0}, "window"),
    ):
        with pytest.raises(ValueError, match=word):
            QueuePlan(**ok, **bad)
    with pytest.raises(ValueError, match="opens <= release"):
        QueuePlan(release=RELEASE, opens=RELEASE + 1, closes=RELEASE + 60, rate=1,
                  burst=1, window=1)  # fmt: skip


def test_the_draw_is_uniform_and_ignores_the_order_members_arrive_in():
    members = [str(n) for n in range(5)]
    assert fair_order(members, random.Random(3)) == fair_order(
        reversed(members), random.Random(3)
    )
    firsts = Counter(
        fair_order(members, random.Random(seed))[0] for seed in range(5000)
    )
    assert set(firsts) == set(members)
    assert all(800 < n < 1200 for n in firsts.values())  # 1000 expected each


FACTS = QueueFacts(
    drawn=True,
    places=10,
    admitted=3,
    free=5,
    live=2,
    waiting_room=0,
    release=RELEASE,
    opens=RELEASE - 1800,
    closes=RELEASE + 1800,
    rate=2.0,
    session_state="open",
    gated=True,
    joined=True,
    profile_id=7,
    joined_at=RELEASE - 100,
    position=6,
)


@pytest.mark.parametrize(
    ("change", "now", "state"),
    [
        ({"gated": False}, RELEASE, State.OFF),
        ({"session_state": "stopped"}, RELEASE, State.STOPPED),
        ({"joined": False}, RELEASE - 3600, State.NOT_OPEN),
        ({"joined": False}, RELEASE - 60, State.OPEN),
        ({"joined": False}, RELEASE + 1800, State.CLOSED),
        ({"position": None, "drawn": False}, RELEASE - 10, State.DRAWING),
        ({"used": True, "until": RELEASE + 60}, RELEASE + 5, State.BOOKED),
        ({"admitted_at": RELEASE, "until": RELEASE + 60}, RELEASE + 5, State.ADMITTED),
        ({"admitted_at": RELEASE, "until": RELEASE + 60}, RELEASE + 60, State.LAPSED),
        ({"free": 0, "live": 0}, RELEASE + 5, State.SOLD_OUT),
        ({}, RELEASE + 5, State.WAITING),
    ],
)
def test_each_state(change, now, state):
    assert place_of(1, replace(FACTS, **change), now).state == state


def test_a_waiting_place_is_told_how_many_are_ahead_and_how_long():
    # place 6, places 1..3 admitted: 2 ahead; 3 seats not held by a pass (5 - 2)
    waiting = place_of(1, FACTS, RELEASE + 5)
    assert waiting.ahead == 2
    assert waiting.likely_seat is True
    assert waiting.estimated_wait_seconds == 2  # 3 places at 2 a second
    assert 1 <= waiting.poll_after_seconds <= 10

    # further back than the seats left: no estimate, a seat unlikely
    far = place_of(1, replace(FACTS, position=9), RELEASE + 5)
    assert far.ahead == 5
    assert far.likely_seat is False
    assert far.estimated_wait_seconds is None
