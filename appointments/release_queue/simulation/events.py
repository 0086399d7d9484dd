"""The virtual clock's events, and TAKE requests batched without reordering decisions.

A patient's next request depends on the answer to their last one, so requests go to Redis
in batches no longer than the shortest time between two requests of one patient
(`Params.min_gap`): no request in a batch could have been sent after an answer in the same
batch. Within a batch, the pipeline runs them in time order.
"""

import heapq
import itertools
from collections import Counter
from dataclasses import dataclass, field

# Kinds of event.
TRY = "try"  # a TAKE that is retried on a refusal that may pass later
BOOK = "book"  # one TAKE with a pass (with the queue): the answer is final


@dataclass
class Clock:
    """Events in virtual time: (seconds after the release, order, kind, patient index)."""

    heap: list[tuple[float, int, str, int]] = field(default_factory=list)
    _order: itertools.count = field(default_factory=itertools.count)

    def push(self, at: float, kind: str, index: int) -> None:
        heapq.heappush(self.heap, (at, next(self._order), kind, index))

    def pop(self) -> tuple[float, int, str, int]:
        return heapq.heappop(self.heap)

    def next_at(self) -> float:
        return self.heap[0][0] if self.heap else float("inf")


@dataclass
class RunResult:
    """What one run gave: seats won by whom, the TAKE answers, and (with the queue) the
    admissions over time and the wins before admission (must be none)."""

    seats: int = 0
    scripted_seats: int = 0
    answers: Counter = field(default_factory=Counter)  # TAKE answers by code
    join_answers: Counter = field(default_factory=Counter)  # JOIN answers (the queue)
    last_win: float = 0.0  # seconds after the release
    early_wins: int = 0
    admissions: list[tuple[float, int, int]] = field(
        default_factory=list
    )  # (seconds after the release, session index, places admitted)
    unsold: int = 0
    wins: list[tuple[float, int]] = field(default_factory=list)  # (at, patient index)

    def won(self, at: float, index: int, scripted: bool) -> None:
        self.wins.append((at, index))
        self.seats += 1
        self.scripted_seats += scripted
        self.last_win = max(self.last_win, at)

    @property
    def scripted_share(self) -> float:
        return self.scripted_seats / self.seats if self.seats else 0.0


@dataclass
class TakeBatch:
    min_gap: float
    pending: list[tuple[float, str, int]] = field(default_factory=list)

    def due(self, at: float) -> bool:
        """The batch must go before a request at `at` joins it."""
        return bool(self.pending) and at >= self.pending[0][0] + self.min_gap

    def add(self, at: float, kind: str, index: int) -> None:
        self.pending.append((at, kind, index))

    def take(self) -> list[tuple[float, str, int]]:
        batch, self.pending = self.pending, []
        return batch
