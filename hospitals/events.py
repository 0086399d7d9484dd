"""Events the catalog publishes for higher apps (common/events.py explains the mechanism)."""

from dataclasses import dataclass

from common.events import DomainEvent


@dataclass(frozen=True)
class HospitalCreated(DomainEvent):
    """A hospital was added; published inside hospital_create's transaction."""

    hospital_id: int
