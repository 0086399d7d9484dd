"""What billing does when an appointment is cancelled (appointments' AppointmentCancelled).

A paid booking is refunded; an unpaid one has the orders the patient opened closed at their
channel after commit (a payment that raced the cancel is then recorded and refunded). An
unpaid one may still hold money: a paid booking moved to a dearer slot awaits its top-up
(a reschedule), and cancelled or expired unpaid, what was paid before is refunded.
"""

from appointments.events import AppointmentCancelled
from appointments.models import Appointment
from billing.services.orders import appointment_orders_settle_later
from billing.services.refunds import appointment_refunds_request


def appointment_cancelled_settle(event: AppointmentCancelled) -> int | None:
    """Subscriber (in the cancelling transaction). Returns the amount refunded, in fen."""
    if not event.was_paid:
        appointment_orders_settle_later(appointment_id=event.appointment_id)
    appointment = Appointment.objects.get(pk=event.appointment_id)
    # Nothing paid (the usual unpaid hold): no refund, None.
    refunds = appointment_refunds_request(
        actor=event.actor, appointment=appointment, reason=event.refund_reason
    )
    return sum(refund.amount for refund in refunds) if refunds else None
