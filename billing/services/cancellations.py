"""What billing does when an appointment is cancelled (appointments' AppointmentCancelled).

A paid booking is refunded; an unpaid one has the orders the patient opened closed at their
channel after commit (a payment that raced the cancel is then recorded and refunded).
"""

from appointments.events import AppointmentCancelled
from appointments.models import Appointment
from billing.services.orders import appointment_orders_settle_later
from billing.services.refunds import appointment_refund_request


def appointment_cancelled_settle(event: AppointmentCancelled) -> int | None:
    """Subscriber (in the cancelling transaction). Returns the amount refunded, in fen."""
    if not event.was_paid:
        appointment_orders_settle_later(appointment_id=event.appointment_id)
        return None
    appointment = Appointment.objects.get(pk=event.appointment_id)
    refund = appointment_refund_request(
        actor=event.actor, appointment=appointment, reason=event.refund_reason
    )
    return refund.amount if refund is not None else None
