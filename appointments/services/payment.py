"""What a payment, or its absence, does to an appointment: confirm it or expire the hold."""

import datetime
import logging

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from appointments.errors import ErrorCode
from appointments.models import Appointment
from appointments.services.booking import queue_no_free, seat_take
from appointments.services.doctor_cap import doctor_day_cap_check
from appointments.services.lifecycle import (
    appointment_cancelled_publish,
    seat_returned_effects,
)
from appointments.services.notify import appointment_notify
from appointments.services.transitions import (
    appointment_cancel_and_release,
    appointment_lock,
    appointment_transition,
)
from common.errors import Conflict
from common.services import Actor
from scheduling.models import ClinicSession

logger = logging.getLogger(__name__)

S = Appointment.Status


def appointment_mark_paid(*, actor: Actor, appointment: Appointment) -> Appointment:
    """Confirm a paid appointment: pending_payment becomes booked.

    A payment that arrives after the hold expired revives the booking if a seat of its slot
    is still free (and the patient has not booked the session again); otherwise it raises
    Conflict("seat_no_longer_available") and the caller refunds. Paying twice is a no-op.
    """
    with transaction.atomic():
        appointment.refresh_from_db()
        if appointment.status in (S.BOOKED, *Appointment.ON_THE_FLOOR, S.COMPLETED):
            return appointment
        if appointment.status == S.PENDING_PAYMENT:
            appointment_transition(
                actor=actor,
                appointment=appointment,
                to_status=S.BOOKED,
                hold_expires_at=None,
                summary="paid",
            )
            appointment_notify(appointment=appointment, event="booked")
            return appointment
        revivable = (
            appointment.status == S.CANCELLED
            and appointment.cancelled_by == Appointment.CancelledBy.TIMEOUT
            and appointment.session.status == ClinicSession.Status.OPEN
            and timezone.now() < appointment.visit_starts_at
        )
        if not revivable or not seat_take(
            slot_id=appointment.slot_id,
            session_id=appointment.session_id,
            profile_id=appointment.profile_id,
        ):
            raise Conflict(
                ErrorCode.SEAT_NO_LONGER_AVAILABLE,
                _("The seat was released before the payment arrived."),
            )
        try:
            doctor_day_cap_check(session=appointment.session)
        except Conflict:
            raise Conflict(
                ErrorCode.SEAT_NO_LONGER_AVAILABLE,
                _("The doctor's day was fully booked before the payment arrived."),
            ) from None
        if Appointment.objects.filter(
            profile_id=appointment.profile_id,
            session_id=appointment.session_id,
            holds_seat=True,
        ).exists():
            raise Conflict(
                ErrorCode.SEAT_NO_LONGER_AVAILABLE,
                _("The patient already holds another booking in this session."),
            )
        appointment_transition(
            actor=actor,
            appointment=appointment,
            to_status=S.BOOKED,
            summary="late payment re-took the seat",
            queue_no=queue_no_free(slot=appointment.slot),
            cancelled_by="",
            cancel_reason="",
            cancelled_at=None,
        )
        appointment_notify(appointment=appointment, event="booked")
        return appointment


def appointment_expire(
    *, actor: Actor, appointment_id: int, now: datetime.datetime
) -> bool:
    """Cancel one unpaid appointment whose hold has passed and return its seat. Idempotent."""
    with transaction.atomic():
        appointment_lock(appointment_id=appointment_id)  # as a payment takes it first
        appointment = (
            Appointment.objects.select_related("session")
            .filter(
                pk=appointment_id, status=S.PENDING_PAYMENT, hold_expires_at__lte=now
            )
            .first()
        )
        if appointment is None:
            return False  # paid, cancelled or already expired meanwhile
        try:
            appointment_cancel_and_release(
                actor=actor,
                appointment=appointment,
                cancelled_by=Appointment.CancelledBy.TIMEOUT,
                reason="payment not received in time",
                now=now,
            )
        except Conflict:
            return False  # lost the race to a payment or a cancel
        # Unpaid, so billing closes the open orders; a paid booking moved to a dearer slot
        # whose top-up never came (a reschedule) has what it paid before refunded.
        appointment_cancelled_publish(
            actor=actor,
            appointment=appointment,
            was_paid=False,
            refund_reason="cancel:timeout",
        )
        appointment_notify(appointment=appointment, event="expired")
        seat_returned_effects(actor=actor, appointment=appointment, now=now)
        return True
