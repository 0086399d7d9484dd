"""Booking a seat, safely under a rush of concurrent requests.

The order of work inside the transaction matters on InnoDB:
1. the seat is taken first, by a conditional UPDATE on the slot row (the hot row), so the
   last seat can be taken once and a full slot answers at once;
2. then, for a doctor with a daily cap, the doctor's row, so bookings in any of the doctor's
   sessions of that date count the cap one after the other (doctor_day_cap_check);
3. then the user's row is locked, so one user's concurrent bookings count their caps exactly;
4. only then is the appointment inserted. Inserting first would take a shared lock on the
   slot row for the foreign key, and the UPDATE would then deadlock concurrent bookers.
"""

import datetime
import secrets

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import PatientProfile, User
from appointments.errors import ErrorCode
from appointments.events import AppointmentBooked
from appointments.metrics import DATABASE, booking_counted, booking_refusal_counted
from appointments.models import Appointment
from appointments.release_queue.gate import (
    release_queue_gate_check,
    release_queue_pass_used,
)
from appointments.services.notify import appointment_notify
from appointments.services.seat_rules import (
    already_booked_check,
    seat_checks_under_locks,
    target_slot_check,
)
from appointments.stock.deltas import stock_seat_taken
from common.errors import Conflict, DomainError, NotAllowed
from common.events import publish
from common.services import Actor, operation_log_write
from scheduling.models import BookingRule, ClinicSession, Slot
from scheduling.services import availability_changed
from scheduling.soldout import (
    slot_is_known_sold_out,
    slot_mark_sold_out,
)

S = Appointment.Status


def order_no_new(now: datetime.datetime) -> str:
    """A unique, sortable order number: local time to the second plus 10 random digits."""
    local = timezone.localtime(now)
    return f"{local:%Y%m%d%H%M%S}{secrets.randbelow(10**10):010d}"


def seat_take(
    *,
    slot_id: int,
    session_id: int | None = None,
    profile_id: int | None = None,
    from_ticket: bool = False,
) -> bool:
    """Take one seat of the slot. True if taken. Holds the slot row lock until commit.

    The seat stock mirrors it after commit (the profile marked in `session_id` when both
    are given), unless the seat was won in the stock already (`from_ticket`).
    """
    taken = (
        Slot.objects.filter(pk=slot_id, booked__lt=F("capacity")).update(
            booked=F("booked") + 1
        )
        == 1
    )
    if taken and not from_ticket:
        stock_seat_taken(slot_id=slot_id, session_id=session_id, profile_id=profile_id)
    return taken


def queue_no_free(*, slot: Slot) -> int:
    """Lowest queue number from the slot's first number not held in the session.

    Called while holding the slot row lock, so no booking of this slot races it. Numbers
    of other slots only collide after seats were added; the unique key catches that.
    """
    used = set(
        Appointment.objects.filter(
            session_id=slot.session_id, holds_seat=True, queue_no__gte=slot.queue_start
        ).values_list("queue_no", flat=True)
    )
    number = slot.queue_start
    while number in used:
        number += 1
    return number


def booking_fee(*, session: ClinicSession) -> int:
    """The fee (fen) a patient's booking of `session` owes, before any member discount
    (billing applies the payer's discount when the order is opened)."""
    return session.fee


def appointment_create_on_taken_seat(
    *,
    actor: Actor,
    user: User,
    profile: PatientProfile,
    slot: Slot,
    session: ClinicSession,
    rule: BookingRule,
    now: datetime.datetime,
    booked_early: bool = False,
    walk_in: bool = False,
    fee: int | None = None,
) -> Appointment:
    """Insert the appointment for a seat already taken in this transaction.

    A walk-in (加号 at the desk) is booked at once: paid at the desk, or free (`fee` 0).
    """
    fee = booking_fee(session=session) if fee is None else fee
    awaits_payment = fee > 0 and not walk_in
    appointment = Appointment(
        order_no=order_no_new(now),
        user=user,
        profile=profile,
        slot=slot,
        session=session,
        doctor_id=session.doctor_id,
        hospital_id=session.hospital_id,
        status=S.PENDING_PAYMENT if awaits_payment else S.BOOKED,
        fee=fee,
        visit_starts_at=slot.starts_at,
        visit_ends_at=slot.ends_at,
        place=session.place,
        booked_early=booked_early,
        walk_in=walk_in,
        hold_expires_at=now + datetime.timedelta(minutes=rule.hold_minutes)
        if awaits_payment
        else None,
    )
    # Uniqueness (one booking per profile and session, one holder per queue number) is left
    # to the database keys, which hold under concurrency; a violation becomes a Conflict below.
    appointment.queue_no = queue_no_free(slot=slot)
    appointment.full_clean(validate_unique=False, validate_constraints=False)
    for attempt in range(3):
        if attempt:
            appointment.queue_no = queue_no_free(slot=slot)
        try:
            with transaction.atomic():
                appointment.save(force_insert=True)
            break
        except IntegrityError:
            # the unique key of one seat-holding booking per patient and session
            already_booked_check(profile=profile, session=session)
            appointment.pk = (
                None  # a queue number taken by a concurrent booking: pick again
            )
    else:
        raise Conflict(
            ErrorCode.SLOT_BUSY, _("Too many bookings at once; please try again.")
        )
    operation_log_write(
        actor=actor,
        action="appointment.create",
        obj=appointment,
        summary=f"{appointment.status} slot={slot.pk} profile={profile.pk} queue={appointment.queue_no}",
    )
    if not walk_in:  # a walk-in is at the desk already: no risk of not coming
        publish(AppointmentBooked(appointment_id=appointment.pk))
    return appointment


def appointment_book(
    *,
    actor: Actor,
    user: User,
    profile: PatientProfile,
    slot: Slot,
    now: datetime.datetime | None = None,
) -> Appointment:
    """Book one seat of `slot` for `profile`, a patient of `user`.

    A fee above 0 gives pending_payment with a hold; a free slot gives booked. Safe under
    concurrent requests: see the module docstring for the lock order.

    Not atomic as a whole, on purpose: the checks that only read run first, outside any
    transaction, because in a rush almost every request is a refusal and should never wait
    for a write lock (on SQLite, BEGIN IMMEDIATE takes the database's only one). A stale
    read can only refuse; the conditional UPDATE inside the transaction decides every seat.
    """
    now = now or timezone.now()
    try:
        rule, early = booking_check(user=user, profile=profile, slot=slot, now=now)
        gated = not early and release_queue_gate_check(
            session=slot.session, user_id=user.pk, profile_id=profile.pk, now=now
        )
        if slot_is_known_sold_out(slot_id=slot.pk):
            raise Conflict(ErrorCode.SLOT_FULL, _("This time slot is fully booked."))
        if not Slot.objects.filter(pk=slot.pk, booked__lt=F("capacity")).exists():
            slot_mark_sold_out(slot_id=slot.pk)
            raise Conflict(ErrorCode.SLOT_FULL, _("This time slot is fully booked."))
        appointment = _appointment_book_seat(
            actor=actor,
            user=user,
            profile=profile,
            slot=slot,
            rule=rule,
            now=now,
            early=early,
        )
        if gated:
            release_queue_pass_used(session_id=slot.session_id, user_id=user.pk)
    except DomainError as refusal:
        booking_refusal_counted(path=DATABASE, code=refusal.code)
        raise
    booking_counted(path=DATABASE, result="booked")
    return appointment


def booking_check(
    *, user: User, profile: PatientProfile, slot: Slot, now: datetime.datetime
) -> tuple[BookingRule, bool]:
    """The refusals that only read: whose profile, bookable now, booked already.

    Returns the hospital's rule and whether this is an early (members') booking.
    """
    if profile.user_id != user.pk or profile.is_active is not True:
        raise NotAllowed(
            ErrorCode.PROFILE_NOT_YOURS,
            _("This patient profile does not belong to you."),
        )
    return target_slot_check(user=user, profile=profile, slot=slot, now=now)


def _appointment_book_seat(
    *,
    actor: Actor,
    user: User,
    profile: PatientProfile,
    slot: Slot,
    rule: BookingRule,
    now: datetime.datetime,
    early: bool,
) -> Appointment:
    """The writing half of appointment_book: take the seat, then check and insert."""
    with transaction.atomic():
        if not seat_take(
            slot_id=slot.pk, session_id=slot.session_id, profile_id=profile.pk
        ):
            slot_mark_sold_out(slot_id=slot.pk)  # what the UPDATE saw was committed
            raise Conflict(ErrorCode.SLOT_FULL, _("This time slot is fully booked."))
        return booking_complete_on_taken_seat(
            actor=actor,
            user=user,
            profile=profile,
            slot=slot,
            rule=rule,
            now=now,
            early=early,
        )


def booking_complete_on_taken_seat(
    *,
    actor: Actor,
    user: User,
    profile: PatientProfile,
    slot: Slot,
    rule: BookingRule,
    now: datetime.datetime,
    early: bool,
) -> Appointment:
    """After the caller took the seat (and so holds the slot's row lock): the checks under
    locks, the insert and its effects. Runs inside the caller's transaction."""
    session = slot.session
    seat_checks_under_locks(
        user=user, profile=profile, session=session, rule=rule, early=early
    )
    slot.refresh_from_db(fields=["booked", "capacity"])

    appointment = appointment_create_on_taken_seat(
        actor=actor,
        user=user,
        profile=profile,
        slot=slot,
        session=session,
        rule=rule,
        now=now,
        booked_early=early,
    )
    if (
        appointment.status == Appointment.Status.BOOKED
    ):  # a free slot: confirmed at once
        appointment_notify(appointment=appointment, event="booked")
    doctor_id = session.doctor_id
    transaction.on_commit(lambda: availability_changed(doctor_id=doctor_id))
    return appointment
