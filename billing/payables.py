"""Payables of higher apps: what billing needs to sell something it does not know.

An appointment is billing's own payable (a foreign key; billing.services.orders opens its
orders, billing.services.payments confirms it when paid). Anything else a patient pays
for (an online consult) lives in an app above billing, which billing never imports. That
app registers a handler for its kind in its AppConfig.ready (import this module there,
once the models are loaded):

    # consult/apps.py
    payable_register(PayableKind.CONSULT, ConsultPayable())

and billing reaches it only through the handler, by the order's (kind, ref_id). A handler
is a registry entry rather than a set of events because every call wants exactly one
answer from exactly one owner (the amount, the description, "refused"), and a missing
handler is a programming error to fail on loudly (PayableNotRegistered), not an event
nobody listened to.

Lock order (as for appointments): the payable's row, then the payment order's row.
`lock` takes the payable's row; every billing write on a non-appointment order (open,
pay, close, record a refund) calls it first.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from appointments.services.transitions import appointment_lock

if TYPE_CHECKING:
    from billing.models import PaymentOrder, Refund
    from common.services import Actor


@dataclass(frozen=True)
class Payable:
    """One payable as billing sees it, read under its row lock."""

    user_id: int  # the payer
    hospital_id: int
    amount: int  # fen to pay: no member discount applies to a non-appointment payable


class PayableHandler(Protocol):
    def lock(self, ref_id: int) -> None:
        """Take the payable's row lock (select_for_update) in the caller's transaction."""

    def payable(self, ref_id: int) -> Payable:
        """The payable, if it can be paid now (called under its lock). Raises a
        DomainError (409) with the owner's code when it cannot (or NotFound)."""

    def description(self, ref_id: int) -> str:
        """What the channel shows the payer (≤ 127 characters)."""

    def pay_before(self, ref_id: int) -> datetime.datetime | None:
        """Until when it may be paid (the channel closes the payment then)."""

    def patient_name(self, ref_id: int) -> str:
        """The patient it is for, as the staff's lists show it."""

    def is_awaiting_payment(self, ref_id: int) -> bool:
        """Whether the payable still waits for a payment (no lock; for the sweeps)."""

    def paid(self, ref_id: int, order: PaymentOrder, actor: Actor) -> None:
        """The order was paid (inside the payment's transaction, in a savepoint). Raise a
        DomainError to refuse it: billing then refunds the payment in full (not_payable)."""

    def refund_done(self, ref_id: int, refund: Refund) -> None:
        """A refund of one of the payable's orders reached the payer (inside the
        transaction that records it; once per refund): tell them, in the owner's words."""


class PayableNotRegistered(LookupError):
    pass


_HANDLERS: dict[str, PayableHandler] = {}


def payable_register(kind: str, handler: PayableHandler) -> None:
    """Register the handler of `kind` (from the owning app's AppConfig.ready)."""
    _HANDLERS[kind] = handler


def payable_handler(kind: str) -> PayableHandler:
    try:
        return _HANDLERS[kind]
    except KeyError:
        raise PayableNotRegistered(f"no payable handler for {kind!r}") from None


def order_payable_lock(*, order: PaymentOrder) -> None:
    """Lock what `order` pays for (first, by the lock order): its appointment's row, or
    the payable's row through its handler."""
    if order.appointment_id is not None:
        appointment_lock(appointment_id=order.appointment_id)
    else:
        payable_handler(order.kind).lock(order.ref_id)


def order_pay_before(order: PaymentOrder) -> datetime.datetime | None:
    """Until when `order` may be paid: its appointment's hold, or the payable's deadline."""
    if order.appointment_id is not None:
        return order.appointment.hold_expires_at
    return payable_handler(order.kind).pay_before(order.ref_id)
