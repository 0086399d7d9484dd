"""The release queue's rules as pure functions: the fair draw and the admission schedule.

The live queue (appointments.release_queue.store, on Redis) and the simulation
(appointments.release_queue.simulation) both decide with these, so what the simulation shows
is what the queue does.

- **The draw**: those who joined before the release get places in a random order
  (`fair_order`); whoever joins later is placed after them in arrival order.
- **Admission**: the first `burst` places are admitted at the release, then one place every
  1/`rate` seconds (`admit_at`); a place is never admitted before its holder joined. Each
  admitted place holds a pass for `window` seconds (`pass_until`): the holder picks a slot
  and confirms within it, or the pass lapses. The schedule depends only on the place and the
  clock, so a restarted web process, or a second one, computes the same answer, and the
  wait shown to a patient is the one they get.
"""

import math
import random
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class QueuePlan:
    """One session's queue, fixed when it is prepared. Times are Unix seconds."""

    release: float  # the session's release: the draw
    opens: float  # the waiting room opens (joining before this is refused)
    closes: float  # the gate ends: from here on anyone books as usual
    rate: float  # places admitted per second after the burst
    burst: int  # places admitted at the release itself
    window: float  # seconds an admitted place may book in

    def __post_init__(self) -> None:
        if not (self.rate > 0 and math.isfinite(self.rate)):
            raise ValueError("rate must be a positive number")
        if self.burst < 0 or self.window <= 0:
            raise ValueError("burst must be >= 0 and window > 0")
        if not (self.opens <= self.release <= self.closes):
            raise ValueError("opens <= release <= closes")


def fair_order(early: Iterable[str], rng: random.Random) -> list[str]:
    """The places of those who joined before the release: a uniformly random order.

    Sorted first, so the order depends on the members and the generator only (not on the
    order a Redis set happened to return them in)."""
    members = sorted(set(early))
    rng.shuffle(members)
    return members


def admit_at(plan: QueuePlan, position: int, joined: float) -> float:
    """When the place `position` (1-based) is admitted: by the schedule, never before its
    holder joined."""
    if position < 1:
        raise ValueError("positions start at 1")
    scheduled = plan.release + max(0, position - plan.burst) / plan.rate
    return max(scheduled, joined)


def pass_until(plan: QueuePlan, admitted: float) -> float:
    """The end of an admitted place's window to book."""
    return admitted + plan.window


def admitted_through(plan: QueuePlan, now: float) -> int:
    """The last position the schedule has admitted by `now` (0 before the release)."""
    if now < plan.release:
        return 0
    return plan.burst + math.floor((now - plan.release) * plan.rate)


def wait_seconds(plan: QueuePlan, position: int, joined: float, now: float) -> float:
    """How long until the place is admitted (0 once it is)."""
    return max(0.0, admit_at(plan, position, joined) - now)
