"""What billing does when a booking is moved to another slot (AppointmentRescheduled).

What a booking owes is one rule (billing.selectors.appointment_amount_due): its fee at the
discount it was paid with (or the payer's discount today, if nothing was paid yet), less
what its paid orders keep.
- Unpaid (a hold) and the fee changed: the orders opened for the old amount are closed at
  their channel after commit (a payment that raced the move is recorded, then refunded: an
  order for another fee never confirms the booking); a new order is opened for the new fee.
- Paid, same fee: nothing moves.
- Paid, lower fee: what is overpaid is refunded from the paid orders (refund kind
  "reschedule", one per order; a second cheaper move of the same orders is refused).
- Paid, higher fee: appointments put the booking back to pending payment with a hold; the
  order the patient opens is for the difference (a top-up, payment_order_open). Nothing to
  pay after rounding: the booking is confirmed at once.
- Awaiting a top-up and moved again: its open top-up order is closed; if what it paid
  covers the new fee it is confirmed at once, and what it paid over the new fee is refunded.
"""

from django.utils.translation import gettext as _

from appointments.events import AppointmentRescheduled
from appointments.models import Appointment
from appointments.services import appointment_mark_paid
from billing.errors import ErrorCode
from billing.models import Refund
from billing.selectors import (
    appointment_amount_due,
    appointment_paid_orders,
    discount_rate_for_user,
)
from billing.services.orders import appointment_orders_settle_later
from billing.services.refunds import refund_create
from common.errors import Conflict


def appointment_rescheduled_settle(event: AppointmentRescheduled) -> int | None:
    """Subscriber (in the rescheduling transaction). Returns the fen refunded, if any."""
    if event.new_fee == event.old_fee:
        return None
    if not event.was_paid:
        appointment_orders_settle_later(appointment_id=event.appointment_id)
        if not appointment_paid_orders(appointment_id=event.appointment_id):
            return None  # a plain hold: it owes the new fee
        # A booking awaiting its top-up: what it paid before may now cover the new fee,
        # or more (moved on to a slot cheaper than what was paid).
    appointment = Appointment.objects.select_related("user").get(
        pk=event.appointment_id
    )
    due = appointment_amount_due(
        appointment=appointment,
        discount_rate=discount_rate_for_user(user=appointment.user),
    )
    if due < 1 and appointment.status == Appointment.Status.PENDING_PAYMENT:
        # Paid in full already: the difference rounds to nothing at the booking's
        # discount, or the top-up it awaited is no longer needed.
        appointment_mark_paid(actor=event.actor, appointment=appointment)
    return _overpaid_refund(event=event, overpaid=-due)


def _overpaid_refund(*, event: AppointmentRescheduled, overpaid: int) -> int | None:
    """Refund `overpaid` fen from the paid orders, latest first (a top-up before the
    original payment), one "reschedule" refund per order."""
    if overpaid < 1:
        return None
    orders = appointment_paid_orders(appointment_id=event.appointment_id)
    if Refund.objects.filter(order__in=orders, kind=Refund.Kind.RESCHEDULE).exists():
        raise Conflict(
            ErrorCode.RESCHEDULE_REFUND_TAKEN,
            _(
                "This booking was already moved to a cheaper slot once; cancel it and "
                "book again instead."
            ),
        )
    refunded = 0
    for order in reversed(orders):
        amount = min(order.refundable_amount, overpaid - refunded)
        if amount < 1:
            continue
        refund = refund_create(
            order=order,
            actor=event.actor,
            kind=Refund.Kind.RESCHEDULE,
            reason=f"reschedule: fee {event.old_fee} -> {event.new_fee}",
            amount=amount,
        )
        refunded += refund.amount
    return refunded or None
