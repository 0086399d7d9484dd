"""What billing does when a booking is moved to another slot (AppointmentRescheduled).

- Unpaid (a hold): the fee changed, so the orders opened for the old amount are closed at
  their channel after commit (a payment that raced the move is recorded, then refunded:
  an order for another fee never confirms the booking); a new order is opened for the new
  fee when the patient pays.
- Paid, same fee: nothing moves.
- Paid, lower fee: the difference is refunded from the paid order, at the discount that
  order was paid with (paid amount / fee): the patient keeps paying what the new fee costs
  at their discount, and gets the rest back (refund kind "reschedule", one per order).
- Paid, higher fee: appointments refuses it before publishing (no top-up of a paid order).
"""

from decimal import Decimal

from django.utils.translation import gettext as _

from appointments.events import AppointmentRescheduled
from billing.errors import ErrorCode
from billing.models import PaymentOrder, Refund
from billing.services.orders import appointment_orders_settle_later
from billing.services.refunds import refund_create
from common.errors import Conflict
from common.money import apply_rate


def reschedule_refund_amount(*, order: PaymentOrder, new_fee: int) -> int:
    """Fen to refund from a paid `order` when its booking now costs `new_fee`."""
    due = apply_rate(new_fee, Decimal(order.amount) / Decimal(order.original_amount))
    return max(order.refundable_amount - due, 0)


def appointment_rescheduled_settle(event: AppointmentRescheduled) -> int | None:
    """Subscriber (in the rescheduling transaction). Returns the fen refunded, if any."""
    if event.new_fee == event.old_fee:
        return None
    if not event.was_paid:
        appointment_orders_settle_later(appointment_id=event.appointment_id)
        return None
    if event.new_fee > event.old_fee:  # appointments refuses this first
        raise Conflict(
            ErrorCode.APPOINTMENT_NOT_PAYABLE,
            _("A paid booking cannot be moved to a dearer slot."),
        )
    order = (
        PaymentOrder.objects.filter(
            appointment_id=event.appointment_id,
            status__in=PaymentOrder.PAID_STATUSES,
        )
        .order_by("paid_at", "pk")
        .first()
    )
    if order is None:
        return None  # booked with a fee but never paid online (paid at the desk)
    if Refund.objects.filter(order=order, kind=Refund.Kind.RESCHEDULE).exists():
        raise Conflict(
            ErrorCode.RESCHEDULE_REFUND_TAKEN,
            _(
                "This booking was already moved to a cheaper slot once; cancel it and "
                "book again instead."
            ),
        )
    amount = reschedule_refund_amount(order=order, new_fee=event.new_fee)
    if amount < 1:
        return None
    refund = refund_create(
        order=order,
        actor=event.actor,
        kind=Refund.Kind.RESCHEDULE,
        reason=f"reschedule: fee {event.old_fee} -> {event.new_fee}",
        amount=amount,
    )
    return refund.amount
