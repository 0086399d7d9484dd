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
from appointments.booking_apis import AppointmentBookApi
from appointments.errors import ErrorCode as AppointmentsError
from appointments.models import Appointment
from appointments.services.booking import booking_check, booking_complete_on_taken_seat
from common.errors import Conflict
from common.services import Actor
from scheduling.models import BookingRule, Slot


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
    now = now or timezone.now()
    rule, early = booking_check(user=user, profile=profile, slot=slot, now=now)
    return _seat_lock_read_save(
        actor=actor,
        user=user,
        profile=profile,
        slot=slot,
        rule=rule,
        now=now,
        early=early,
    )


@transaction.atomic
def _seat_lock_read_save(
    *,
    actor: Actor,
    user: User,
    profile: PatientProfile,
    slot: Slot,
    rule: BookingRule,
    now: datetime.datetime,
    early: bool,
) -> Appointment:
    locked = Slot.objects.select_for_update().get(pk=slot.pk)
    if locked.booked >= locked.capacity:
        raise Conflict(
            AppointmentsError.SLOT_FULL, _("This time slot is fully booked.")
        )
    locked.booked += 1
    locked.full_clean(
        exclude=["session"], validate_unique=False, validate_constraints=False
    )
    locked.save(update_fields=["booked", "updated_at"])
    locked.session = slot.session
    return booking_complete_on_taken_seat(
        actor=actor,
        user=user,
        profile=profile,
        slot=locked,
        rule=rule,
        now=now,
        early=early,
    )


class AppointmentBookNaiveApi(AppointmentBookApi):
    """POST {"slot_id", "profile_id"}: AppointmentBookApi, through the naive service."""

    book_service = staticmethod(appointment_book_naive)
    use_stock = False  # the naive way: every request to the database
