"""Events consult's services publish (common/events.py explains the mechanism).

Consult's own real-time frames (consult/realtime.py) subscribe to them after commit, so the
services never import the channel layer: whichever path writes (the REST API, a WebSocket
frame, a periodic sweep, the admin), the consult's sockets hear of it once it is durable.
"""

from dataclasses import dataclass

from common.events import DomainEvent


@dataclass(frozen=True)
class ConsultMessageSent(DomainEvent):
    """A message was added to a consult (any kind, by either party)."""

    consult_id: int
    message_id: int


@dataclass(frozen=True)
class ConsultMessageRecalled(DomainEvent):
    """A message was taken back by its sender (its content erased)."""

    consult_id: int
    message_id: int


@dataclass(frozen=True)
class ConsultStatusChanged(DomainEvent):
    """A consult's status changed: every write that changes `Consult.status` publishes it
    (the doctor's first reply, close, rate, the sweeps, payment)."""

    consult_id: int
    status: str
