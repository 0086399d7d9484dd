"""Events the schedule publishes for higher apps (common/events.py explains the mechanism)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from common.events import DomainEvent

if TYPE_CHECKING:  # a type only: events load with the app configs, before any model
    from common.services import Actor


@dataclass(frozen=True)
class SeatsAdded(DomainEvent):
    """Staff added seats to a session (加号: more seats on a slot, or a new slot).

    Published inside the service's transaction, with the session's slots locked; the
    waitlist (appointments) offers the new seats at once, and the seat stock gets them
    after commit. `slot_id`: the slot that got `seats` more (or the new slot, with its
    seats).
    """

    session_id: int
    actor: Actor
    slot_id: int
    seats: int


@dataclass(frozen=True)
class ReleaseQueueChanged(DomainEvent):
    """A session was put in, or taken out of, the release queue (排队放号).

    Published inside the service's transaction; the seat stock (appointments) writes the
    session's fields again after commit, so the gate takes effect at once.
    """

    session_id: int
    release_queue: bool
