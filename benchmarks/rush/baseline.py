"""The naive way to book a seat, kept only as the rush benchmark's point of comparison.

`appointment_book_naive` is the textbook read-check-write: lock the slot row with
SELECT ... FOR UPDATE, read `booked` and `capacity`, check in Python, save the new count,
then insert the appointment. It is correct (the row lock serialises the bookers of a slot;
on SQLite the IMMEDIATE transactions serialise every writer), but every booker of a hot slot
queues on that lock, even once the slot is full. The real service,
appointments.services.booking.appointment_book, takes the seat with one conditional UPDATE.

Everything else is shared with the real service (bookability, caps, queue number, insert,
operation log), so the benchmark compares only the way the seat is taken. The route to
AppointmentBookNaiveApi exists only when settings.BENCHMARK_BASELINE_ENDPOINT is true, which
`manage.py rush_benchmark` sets for its own server; never set it in production.
"""

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import PatientProfile, User
from appointments.apis import AppointmentBookApi
from appointments.models import Appointment
from appointments.services.booking import (
    appointment_create_on_taken_seat,
    booking_is_early,
    caps_check,
    priority_quota_check,
    slot_check_bookable,
)
from common.errors import Conflict, NotAllowed
from common.services import Actor
from scheduling.models import ClinicSession, Slot
from scheduling.rules import rule_for_hospital_id


@transaction.atomic
def appointment_book_naive(
    *,
    actor: Actor,
    user: User,
    profile: PatientProfile,
    slot: Slot,
    now: datetime.datetime | None = None,
) -> Appointment:
    """Book one seat of `slot` for `profile` by locking, reading and saving the slot row.

    Same rules, errors and result as appointment_book; only the seat is taken differently.
    Lock order as in the real service: slot row, then user row, then the insert.
    """
    from scheduling.services import availability_changed

    now = now or timezone.now()
    if profile.user_id != user.pk or profile.is_active is not True:
        raise NotAllowed(
            "profile_not_yours", _("This patient profile does not belong to you.")
        )
    session = slot.session
    rule = rule_for_hospital_id(session.hospital_id)
    early = booking_is_early(user=user, session=session, now=now)
    slot_check_bookable(slot=slot, session=session, rule=rule, now=now, early=early)
    if Appointment.objects.filter(
        profile=profile, session=session, holds_seat=True
    ).exists():
        raise Conflict(
            "already_booked", _("This patient already has a booking in this session.")
        )

    locked = Slot.objects.select_for_update().get(pk=slot.pk)
    if locked.booked >= locked.capacity:
        raise Conflict("slot_full", _("This time slot is fully booked."))
    locked.booked += 1
    locked.full_clean(
        exclude=["session"], validate_unique=False, validate_constraints=False
    )
    locked.save(update_fields=["booked", "updated_at"])
    locked.session = session

    if not ClinicSession.objects.filter(
        pk=session.pk, status=ClinicSession.Status.OPEN
    ).exists():
        raise Conflict("session_stopped", _("This clinic session has been stopped."))
    if early:
        priority_quota_check(user=user, session=session)
    User.objects.select_for_update().filter(pk=user.pk).first()
    caps_check(user=user, session=session, rule=rule)

    appointment = appointment_create_on_taken_seat(
        actor=actor,
        user=user,
        profile=profile,
        slot=locked,
        session=session,
        rule=rule,
        now=now,
        booked_early=early,
    )
    doctor_id = session.doctor_id
    transaction.on_commit(lambda: availability_changed(doctor_id=doctor_id))
    return appointment


class AppointmentBookNaiveApi(AppointmentBookApi):
    """POST {"slot_id", "profile_id"}: as AppointmentBookApi, through the naive service."""

    book_service = staticmethod(appointment_book_naive)
