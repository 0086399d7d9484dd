"""What the billing services need from a payment channel, in the channel's own terms.

A gateway speaks to one channel (WeChat Pay, Alipay, the dev gateway) and answers in the
neutral shapes below. Gateways only talk to their channel: they never write to the
database, and they never run inside a transaction the services hold open.
"""

import datetime
from dataclasses import dataclass
from typing import Protocol

from billing.models import PaymentOrder, Refund

# A refund the channel accepted but has not finished (not a Refund.Status value).
PROCESSING = "processing"


class ChannelRejected(Exception):
    """The channel answered "no" (not "try later"): e.g. closing an order that was paid."""


@dataclass(frozen=True)
class ChannelTrade:
    is_paid: bool
    transaction_id: str
    amount: int | None
    paid_at: datetime.datetime | None


@dataclass(frozen=True)
class ChannelRefundState:
    status: str  # a Refund.Status value, or PROCESSING while the channel works on it
    channel_refund_id: str | None
    failure: str = ""


class PaymentGateway(Protocol):
    """One payment channel. Methods that call the channel may raise ServiceUnavailable."""

    channel: str

    def is_enabled(self) -> bool:
        """Whether patients may pay with this channel here (configured, or allowed)."""
        ...

    def prepay(self, order: PaymentOrder, *, description: str) -> str:
        """Register `order` with the channel before paying; its prepay id, or "" if none.

        Called only while the order has no prepay id; the caller stores the answer.
        """
        ...

    def pay_params(
        self, order: PaymentOrder, *, description: str, prepay_id: str
    ) -> dict:
        """What the client needs to pay `order`."""
        ...

    def query(self, order: PaymentOrder) -> ChannelTrade | None:
        """The order as the channel sees it; None when the channel has never seen it."""
        ...

    def close(self, order: PaymentOrder) -> None:
        """Close the unpaid order at the channel. Raises ChannelRejected on a "no"."""
        ...

    def refund(self, refund: Refund) -> ChannelRefundState:
        """Send `refund` to the channel. Raises ChannelRejected on a "no"."""
        ...

    def refund_query(self, refund: Refund) -> ChannelRefundState | None:
        """How the channel sees `refund`; None when the channel has never seen it."""
        ...
