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
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import PatientProfile, User
from accounts.selectors import member_privileges_for_user
from accounts.services.profiles import person_lock
from appointments.errors import ErrorCode
from appointments.events import AppointmentBooked
from appointments.models import Appointment
from appointments.services.doctor_cap import (
    doctor_day_cap_check,
    doctor_day_cap_precheck,
)
from appointments.services.notify import appointment_notify
from common.errors import Conflict, NotAllowed
from common.events import publish
from common.services import Actor, operation_log_write
from scheduling.errors import ErrorCode as SchedulingError
from scheduling.models import BookingRule, ClinicSession, Slot
from scheduling.rules import (
    booking_cutoff_at,
    booking_opens_at,
    rule_for_hospital_id,
)
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


def booking_is_early(
    *, user: User, session: ClinicSession, now: datetime.datetime
) -> bool:
    """Whether this booking goes through the members' priority channel.

    False after the public release. Before it, True inside the user's level's priority
    window (its hours before release); otherwise the session is not released yet.
    """
    if now >= session.release_at:
        return False
    hours = member_privileges_for_user(user=user).priority_hours
    if now >= booking_opens_at(session.release_at, priority_hours=hours):
        return True
    raise Conflict(
        ErrorCode.NOT_RELEASED_YET, _("Booking for this session has not opened yet.")
    )


def priority_quota_check(
    *, user: User, session: ClinicSession, exclude_appointment_id: int | None = None
) -> None:
    """Before public release, members may take only their level's share of the session.

    Locks the session row, so concurrent early bookings count each other; the caller already
    holds its slot lock (slot, then session: the order stop-clinic uses too). A booking being
    moved (`exclude_appointment_id`) does not count against itself.
    """
    share = member_privileges_for_user(user=user).reserved_share
    capacity = (
        Slot.objects.filter(session_id=session.pk).aggregate(total=Sum("capacity"))[
            "total"
        ]
        or 0
    )
    quota = int(capacity * share)  # whole seats, rounded down
    ClinicSession.objects.select_for_update().filter(pk=session.pk).values_list(
        "pk", flat=True
    ).first()
    taken = (
        Appointment.objects.filter(
            session_id=session.pk, holds_seat=True, booked_early=True
        )
        .exclude(pk=exclude_appointment_id)
        .count()
    )
    if taken >= quota:
        raise Conflict(
            ErrorCode.PRIORITY_SEATS_TAKEN,
            _(
                "The seats reserved for members are taken; booking opens to everyone at release."
            ),
        )


def slot_check_bookable(
    *,
    slot: Slot,
    session: ClinicSession,
    rule: BookingRule,
    now: datetime.datetime,
    early: bool = False,
) -> None:
    """Raise unless patients may book `slot` at `now` (ignores seats, which the UPDATE checks).

    `early`: the booking goes through the members' priority channel (booking_is_early).
    """
    if session.status != ClinicSession.Status.OPEN:
        raise Conflict(
            SchedulingError.SESSION_STOPPED, _("This clinic session has been stopped.")
        )
    if not session.doctor.is_active or not session.hospital.is_open:
        raise Conflict(
            SchedulingError.DOCTOR_UNAVAILABLE, _("This doctor is not taking bookings.")
        )
    if now < session.release_at and not early:
        raise Conflict(
            ErrorCode.NOT_RELEASED_YET,
            _("Booking for this session has not opened yet."),
        )
    if now >= slot.starts_at:
        raise Conflict(
            SchedulingError.SLOT_IN_PAST, _("This time slot has already started.")
        )
    if now >= booking_cutoff_at(rule, slot, session):
        raise Conflict(
            ErrorCode.BOOKING_CLOSED, _("Booking for this time slot has closed.")
        )


def seat_take(*, slot_id: int) -> bool:
    """Take one seat of the slot. True if taken. Holds the slot row lock until commit."""
    return (
        Slot.objects.filter(pk=slot_id, booked__lt=F("capacity")).update(
            booked=F("booked") + 1
        )
        == 1
    )


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


def caps_check(
    *,
    profile: PatientProfile,
    session: ClinicSession,
    rule: BookingRule,
    exclude_appointment_id: int | None = None,
) -> None:
    """The hospital's caps on one person's upcoming bookings, by visit day and over any 7
    consecutive days.

    A person is an ID number, not an account: the count covers every profile with the same
    ID-card lookup hash on any account, so several phone numbers do not multiply the caps,
    and a parent booking for three children uses each child's caps, not their own. The
    limits are the booking hospital's (`rule`) and count that hospital's bookings only: a
    hospital limits its own clinics. Takes the account's row lock, then the person's (the
    oldest profile row with this ID number, accounts.services.profiles.person_lock), so two
    accounts booking for one person count one after the other; the caller holds the slot's
    lock already. (Account before person, as every path takes them: a waitlist promotion
    that took the person first would deadlock against a booking of the same account.)
    A booking being moved (`exclude_appointment_id`, a reschedule) is not counted.
    """
    User.objects.select_for_update().filter(pk=profile.user_id).values_list(
        "pk"
    ).first()
    person_lock(id_card_hash=profile.id_card_hash)
    day = session.date
    week = datetime.timedelta(days=6)
    dates = list(
        Appointment.objects.filter(
            profile__id_card_hash=profile.id_card_hash,
            hospital_id=session.hospital_id,
            status__in=Appointment.UPCOMING,
            session__date__range=(day - week, day + week),
        )
        .exclude(pk=exclude_appointment_id)
        .values_list("session__date", flat=True)
    )
    if sum(1 for d in dates if d == day) >= rule.max_active_per_day:
        raise Conflict(
            ErrorCode.DAILY_LIMIT_REACHED,
            _("This patient already has %(n)d bookings on this day.")
            % {"n": rule.max_active_per_day},
        )
    for offset in range(7):
        start = day - datetime.timedelta(days=6 - offset)
        in_window = sum(1 for d in dates if start <= d <= start + week)
        if in_window >= rule.max_active_per_week:
            raise Conflict(
                ErrorCode.WEEKLY_LIMIT_REACHED,
                _("This patient already has %(n)d bookings within 7 days.")
                % {"n": rule.max_active_per_week},
            )


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
    rule, early = booking_check(user=user, profile=profile, slot=slot, now=now)
    if slot_is_known_sold_out(slot_id=slot.pk):
        raise Conflict(ErrorCode.SLOT_FULL, _("This time slot is fully booked."))
    if not Slot.objects.filter(pk=slot.pk, booked__lt=F("capacity")).exists():
        slot_mark_sold_out(slot_id=slot.pk)
        raise Conflict(ErrorCode.SLOT_FULL, _("This time slot is fully booked."))
    return _appointment_book_seat(
        actor=actor,
        user=user,
        profile=profile,
        slot=slot,
        rule=rule,
        now=now,
        early=early,
    )


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


def target_slot_check(
    *,
    user: User,
    profile: PatientProfile,
    slot: Slot,
    now: datetime.datetime,
    exclude_appointment_id: int | None = None,
) -> tuple[BookingRule, bool]:
    """The read-only refusals about the slot a booking goes to (a new booking, or a
    booking moved there: `exclude_appointment_id` is then not counted against itself).

    Returns the hospital's rule and whether this is an early (members') booking.
    """
    session = slot.session
    rule = rule_for_hospital_id(session.hospital_id)
    early = booking_is_early(user=user, session=session, now=now)
    slot_check_bookable(slot=slot, session=session, rule=rule, now=now, early=early)
    already_booked_check(
        profile=profile, session=session, exclude_appointment_id=exclude_appointment_id
    )
    doctor_day_cap_precheck(
        session=session, exclude_appointment_id=exclude_appointment_id
    )
    return rule, early


def already_booked_check(
    *,
    profile: PatientProfile,
    session: ClinicSession,
    exclude_appointment_id: int | None = None,
) -> None:
    """One seat-holding booking per patient and session: refuse a second one."""
    if (
        Appointment.objects.filter(profile=profile, session=session, holds_seat=True)
        .exclude(pk=exclude_appointment_id)
        .exists()
    ):
        raise Conflict(
            ErrorCode.ALREADY_BOOKED,
            _("This patient already has a booking in this session."),
        )


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
        if not seat_take(slot_id=slot.pk):
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


def seat_checks_under_locks(
    *,
    user: User,
    profile: PatientProfile,
    session: ClinicSession,
    rule: BookingRule,
    early: bool,
    exclude_appointment_id: int | None = None,
) -> None:
    """The checks that decide, once the caller holds the target slot's row lock: session
    still open, the members' share (session row), the doctor's day (doctor row), the
    account's and the person's caps (user row, then person row), in that lock order.

    `exclude_appointment_id`: a booking being moved here, not counted against itself.
    """
    # Staff may have stopped the session while we waited for the slot lock; stop-clinic locks
    # the slots before changing the status, so this read sees its commit.
    if not ClinicSession.objects.filter(
        pk=session.pk, status=ClinicSession.Status.OPEN
    ).exists():
        raise Conflict(
            SchedulingError.SESSION_STOPPED, _("This clinic session has been stopped.")
        )
    if early:
        priority_quota_check(
            user=user, session=session, exclude_appointment_id=exclude_appointment_id
        )
    doctor_day_cap_check(session=session, exclude_appointment_id=exclude_appointment_id)
    User.objects.select_for_update().filter(pk=user.pk).first()
    caps_check(
        profile=profile,
        session=session,
        rule=rule,
        exclude_appointment_id=exclude_appointment_id,
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
