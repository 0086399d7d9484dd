"""The rules a seat is taken under, shared by booking, the waitlist and rescheduling.

Whether the slot is bookable now (released, or inside the member's priority window; open;
not past the cutoff), the members' share before release, the patient's one booking per
session, the doctor's day and the person's caps. The checks that only read run before any
lock; `seat_checks_under_locks` decides, once the caller holds the target slot's row lock
(the order of locks: appointments/services/booking.py's docstring). A booking being moved
(a reschedule, `exclude_appointment_id`) is never counted against itself.
"""

import datetime

from django.db.models import Sum
from django.utils.translation import gettext as _

from accounts.models import PatientProfile, User
from accounts.selectors import member_privileges_for_user
from accounts.services.profiles import person_lock
from appointments.errors import ErrorCode
from appointments.ledger.rules import restriction_check
from appointments.models import Appointment
from appointments.services import refusals
from appointments.services.doctor_cap import (
    doctor_day_cap_check,
    doctor_day_cap_precheck,
)
from common.errors import Conflict
from scheduling.models import BookingRule, ClinicSession, Slot
from scheduling.rules import (
    booking_cutoff_at,
    booking_opens_at,
    priority_quota,
    rule_for_hospital_id,
)


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
    raise refusals.not_released_yet()


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
    quota = priority_quota(capacity, share)
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
        raise refusals.session_stopped()
    if not session.doctor.is_active or not session.hospital.is_open:
        raise refusals.doctor_unavailable()
    if now < session.release_at and not early:
        raise refusals.not_released_yet()
    if now >= slot.starts_at:
        raise refusals.slot_in_past()
    if now >= booking_cutoff_at(rule, slot, session):
        raise refusals.booking_closed()


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
    # The no-show ledger's restriction (appointments.ledger.rules), decided under the
    # person's lock, so an appeal accepted meanwhile counts; members too. Only here, not
    # among the read-only checks: a rush's refusals must not pay its queries.
    restriction_check(
        id_card_hash=profile.id_card_hash, hospital_id=session.hospital_id
    )
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
    error = refusals.caps_refusal(dates=dates, day=day, rule=rule)
    if error is not None:
        raise error


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
        raise refusals.already_booked()


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
        raise refusals.session_stopped()
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
