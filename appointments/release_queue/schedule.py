"""The release queue's plan and its fair draw, as plain values and pure functions.

The live queue (appointments.release_queue.store, on Redis) and the simulation
(appointments.release_queue.simulation) both use these, so what the simulation shows is
what the queue does.

- **The plan** (`QueuePlan`): when the waiting room opens, the release (the draw), when the
  gate ends, and the admission's pace: `burst` places at the release, then `rate` a second
  (a token bucket holding at most `burst`), never more live passes than free seats (the
  STATUS script applies it, atomically), each pass good for `window` seconds.
- **The draw** (`fair_order`): those who joined before the release get places in a
  uniformly random order; whoever joins later is placed after them in arrival order.
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
    burst: int  # places admitted at the release itself (the bucket's size)
    window: float  # seconds an admitted place may book in

    def __post_init__(self) -> None:
        if not (self.rate > 0 and math.isfinite(self.rate)):
            raise ValueError("rate must be a positive number")
        # The token bucket holds at most `burst` tokens: with 0 nobody is ever admitted.
        if self.burst < 1 or self.window <= 0:
            raise ValueError("burst must be >= 1 and window > 0")
        if not (self.opens <= self.release <= self.closes):
            raise ValueError("opens <= release <= closes")


def fair_order(early: Iterable[str], rng: random.Random) -> list[str]:
    """The places of those who joined before the release: a uniformly random order.

    Sorted first, so the order depends on the members and the generator only (not on the
    order a Redis set happened to return them in)."""
    members = sorted(set(early))
    rng.shuffle(members)
    return members
