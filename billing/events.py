"""Events billing publishes (common/events.py explains the mechanism).

Billing's own tasks subscribe to these after commit (billing/apps.py), so the services
never import the task module: the rules do not know how their follow-up work is queued.
"""

from dataclasses import dataclass

from common.events import DomainEvent


@dataclass(frozen=True)
class RefundToSend(DomainEvent):
    """A refund was created or retried and is to be sent to its channel after commit."""

    refund_id: int


@dataclass(frozen=True)
class OrderToSettle(DomainEvent):
    """An open order is to be settled with its channel after commit: its appointment no
    longer waits for payment (cancelled, or paid through another order)."""

    order_id: int
