"""加号 for a walk-in: the doctor or the desk adds a seat and books it for a patient there.

The seat is added with scheduling's slot_add_seats (locks the session's slots, then the
session), taken in the same transaction, and the patient is booked and checked in at once:
they are standing at the desk. The fee is paid at the desk (cash or card, outside the
online channels; the appointment keeps the fee and `walk_in`) or waived (fee 0).

Added seats go to the waitlist first (scheduling's SeatsAdded event), so a walk-in is
refused while patients wait on the session's waitlist: they asked first, and the desk
adds seats for them in the admin.
"""

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import PatientProfile
from appointments.errors import ErrorCode
from appointments.models import Appointment, WaitlistEntry
from appointments.services.booking import appointment_create_on_taken_seat, seat_take
from appointments.services.lifecycle import appointment_check_in
from common.errors import Conflict
from common.services import Actor, operation_log_write
from scheduling.errors import ErrorCode as SchedulingError
from scheduling.models import ClinicSession, Slot
from scheduling.rules import rule_for_hospital_id
from scheduling.services import slot_add_seats


def _walk_in_slot(session: ClinicSession, now: datetime.datetime) -> Slot:
    """The slot running now, else the next one; None when the session is over."""
    slot = (
        Slot.objects.filter(session_id=session.pk, ends_at__gt=now)
        .order_by("starts_at", "pk")
        .first()
    )
    if slot is None:
        raise Conflict(
            SchedulingError.SLOT_OVER, _("This clinic session is already over.")
        )
    return slot


def walk_in_book(
    *,
    actor: Actor,
    session: ClinicSession,
    profile: PatientProfile,
    paid_at_desk: bool,
    now: datetime.datetime | None = None,
) -> Appointment:
    """Add a seat to today's session and book it, checked in, for `profile`."""
    now = now or timezone.now()
    if session.date != timezone.localdate(now):
        raise Conflict(
            ErrorCode.NOT_VISIT_DAY, _("A walk-in can only be added on the day.")
        )
    if WaitlistEntry.objects.filter(
        session_id=session.pk, status=WaitlistEntry.Status.WAITING
    ).exists():
        raise Conflict(
            ErrorCode.WAITLIST_NOT_EMPTY,
            _(
                "Patients are waiting on this session's waitlist; added seats go to "
                "them first."
            ),
        )
    slot = _walk_in_slot(session, now)
    with transaction.atomic():
        slot = slot_add_seats(actor=actor, slot=slot, seats=1)
        # a booking may have taken it in the meantime
        if not seat_take(slot_id=slot.pk, session_id=session.pk, profile_id=profile.pk):
            raise Conflict(
                ErrorCode.SLOT_BUSY, _("Too many bookings at once; please try again.")
            )
        session.refresh_from_db()
        appointment = appointment_create_on_taken_seat(
            actor=actor,
            user=profile.user,
            profile=profile,
            slot=slot,
            session=session,
            rule=rule_for_hospital_id(session.hospital_id),
            now=now,
            walk_in=True,
            fee=session.fee if paid_at_desk else 0,
        )
        operation_log_write(
            actor=actor,
            action="appointment.walk_in",
            obj=appointment,
            summary=f"fee={appointment.fee} "
            + ("paid at the desk" if paid_at_desk else "free"),
        )
        return appointment_check_in(
            actor=actor, appointment=appointment, by_staff=True, now=now
        )
