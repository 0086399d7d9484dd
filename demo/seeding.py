"""How a chapter of the demo is told: a list of rows, each seeded at most once.

A SeedStep is one kind of demo row. Its `seed(ctx, item)` looks the row up by its natural
key first and returns False when it is already there; otherwise it creates the row through
the owning app's service (so the operation log and the catalog cache see it) and returns
True. That is what makes `manage.py seed_demo` safe to run any number of times.
"""

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from common.services import Actor
from hospitals.models import Hospital


@dataclass
class SeedContext:
    """What every step shares: who writes, the demo password, and the running tally."""

    actor: Actor
    password: str
    created: Counter = field(default_factory=Counter)
    present: Counter = field(default_factory=Counter)
    _hospitals: dict[str, Hospital] = field(default_factory=dict)

    def hospital(self, name: str) -> Hospital:
        if name not in self._hospitals:
            self._hospitals[name] = Hospital.objects.get(name=name)
        return self._hospitals[name]


@dataclass(frozen=True)
class SeedStep:
    """One kind of demo row: `seed(ctx, item)` returns True when it created the row."""

    kind: str
    items: Sequence[Any]
    seed: Callable[[SeedContext, Any], bool]
