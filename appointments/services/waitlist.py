"""The waitlist (候补): patients waiting for a seat in a full session.

When a seat comes back (a cancel, an expired hold, added seats) the first waiting entry is
promoted into a pending_payment booking with its own hold, in the same transaction that
returned the seat. Order: higher priority first (member level), then first come.
"""

import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import PatientProfile, User
from accounts.selectors import member_privileges_for_user
from appointments.errors import ErrorCode
from appointments.ledger.rules import restriction_check
from appointments.models import Appointment, WaitlistEntry
from appointments.services.booking import (
    appointment_create_on_taken_seat,
    seat_take,
)
from appointments.services.doctor_cap import doctor_day_cap_check
from appointments.services.notify import appointment_notify, waitlist_notify
from appointments.services.seat_rules import (
    already_booked_check,
    caps_check,
    slot_check_bookable,
)
from common.errors import Conflict, DomainError, NotAllowed
from common.services import Actor, operation_log_write
from scheduling.events import SeatsAdded
from scheduling.models import BookingRule, ClinicSession, Slot
from scheduling.rules import booking_cutoff_at, rule_for_hospital_id


def waitlist_priority_for_user(*, user: User) -> int:
    """The waitlist priority of the user's member level."""
    return member_privileges_for_user(user=user).waitlist_priority


def _bookable_slots(
    *, session: ClinicSession, rule: BookingRule, now: datetime.datetime
) -> list[Slot]:
    return [
        slot
        for slot in session.slots.order_by("starts_at", "pk")
        if now < slot.starts_at and now < booking_cutoff_at(rule, slot, session)
    ]


def waitlist_join(
    *,
    actor: Actor,
    user: User,
    profile: PatientProfile,
    session: ClinicSession,
    now: datetime.datetime | None = None,
) -> WaitlistEntry:
    with transaction.atomic():
        now = now or timezone.now()
        if profile.user_id != user.pk or profile.is_active is not True:
            raise NotAllowed(
                ErrorCode.PROFILE_NOT_YOURS,
                _("This patient profile does not belong to you."),
            )
        rule = rule_for_hospital_id(session.hospital_id)
        slots = _bookable_slots(session=session, rule=rule, now=now)
        if not slots:
            raise Conflict(
                ErrorCode.BOOKING_CLOSED, _("Booking for this session has closed.")
            )
        slot_check_bookable(slot=slots[0], session=session, rule=rule, now=now)
        if any(slot.booked < slot.capacity for slot in slots):
            raise Conflict(
                ErrorCode.SEATS_AVAILABLE,
                _("Seats are still available; please book directly."),
            )
        already_booked_check(profile=profile, session=session)
        # 爽约管理: a restricted person is told so now, not when a seat comes back.
        restriction_check(
            id_card_hash=profile.id_card_hash, hospital_id=session.hospital_id, now=now
        )
        if WaitlistEntry.objects.filter(
            profile=profile, session=session, is_waiting=True
        ).exists():
            raise Conflict(
                ErrorCode.ALREADY_WAITING, _("This patient is already on the waitlist.")
            )
        entry = WaitlistEntry(
            user=user,
            profile=profile,
            session=session,
            priority=waitlist_priority_for_user(user=user),
        )
        entry.full_clean(validate_unique=False, validate_constraints=False)
        try:
            with transaction.atomic():
                entry.save(force_insert=True)
        except IntegrityError:  # the unique key: a concurrent join of the same profile
            raise Conflict(
                ErrorCode.ALREADY_WAITING, _("This patient is already on the waitlist.")
            ) from None
        operation_log_write(
            actor=actor,
            action="waitlist.join",
            obj=entry,
            summary=f"session={session.pk}",
        )
        return entry


def _close_entry(
    *, actor: Actor, entry: WaitlistEntry, status: str, summary: str
) -> bool:
    moved = WaitlistEntry.objects.filter(pk=entry.pk, is_waiting=True).update(
        status=status, is_waiting=None, updated_at=timezone.now()
    )
    if moved:
        entry.status, entry.is_waiting = status, None
        operation_log_write(
            actor=actor, action=f"waitlist.{status}", obj=entry, summary=summary
        )
    return bool(moved)


def waitlist_leave(*, actor: Actor, entry: WaitlistEntry) -> WaitlistEntry:
    with transaction.atomic():
        if not _close_entry(
            actor=actor,
            entry=entry,
            status=WaitlistEntry.Status.LEFT,
            summary="left by patient",
        ):
            raise Conflict(
                ErrorCode.NOT_WAITING, _("This waitlist entry is no longer waiting.")
            )
        return entry


def waitlist_close_for_profile(*, actor: Actor, profile: PatientProfile) -> int:
    """Close the waiting entries of a deleted profile. Returns how many were closed."""
    closed = 0
    for entry in (
        profile.waitlist_entries.select_for_update()
        .filter(is_waiting=True)
        .order_by("pk")
    ):
        if _close_entry(
            actor=actor,
            entry=entry,
            status=WaitlistEntry.Status.CLOSED,
            summary="profile deleted",
        ):
            closed += 1
    return closed


def waitlist_close_for_session(
    *, actor: Actor, session: ClinicSession, reason: str
) -> int:
    """Close every waiting entry of the session (stop-clinic). Returns how many were closed."""
    closed = 0
    for entry in (
        session.waitlist_entries.select_for_update()
        .filter(is_waiting=True)
        .order_by("pk")
    ):
        if _close_entry(
            actor=actor, entry=entry, status=WaitlistEntry.Status.CLOSED, summary=reason
        ):
            closed += 1
            waitlist_notify(entry=entry, event="waitlist_closed")
    return closed


def waitlist_offer_added_seats(event: SeatsAdded) -> None:
    """Subscriber of SeatsAdded (加号): the new seats go to the waitlist at once."""
    session = ClinicSession.objects.get(pk=event.session_id)
    waitlist_promote(actor=event.actor, session=session)


def waitlist_promote(
    *, actor: Actor, session: ClinicSession, now: datetime.datetime | None = None
) -> int:
    """Give free seats of `session` to waiting patients, first in line first. Returns promotions.

    Called inside the transaction that freed the seats (cancel, expiry, added seats).
    """
    assert transaction.get_connection().in_atomic_block
    now = now or timezone.now()
    if session.status != ClinicSession.Status.OPEN:
        return 0
    rule = rule_for_hospital_id(session.hospital_id)
    promoted = 0
    entries = (
        WaitlistEntry.objects.select_for_update()
        .filter(session=session, is_waiting=True)
        .select_related("user", "profile")
        .order_by("-priority", "created_at", "pk")
    )
    for entry in entries:
        try:
            appointment = _entry_seat_take(
                actor=actor, entry=entry, session=session, rule=rule, now=now
            )
        except DomainError as exc:  # caps reached or already booked: this entry is done
            if exc.code == ErrorCode.DOCTOR_DAILY_LIMIT_REACHED:
                break  # the doctor's day is full for everyone: the entries keep waiting
            _close_entry(
                actor=actor,
                entry=entry,
                status=WaitlistEntry.Status.CLOSED,
                summary=exc.code,
            )
            waitlist_notify(entry=entry, event="waitlist_closed")
            continue
        if appointment is None:
            break  # no free seat left
        WaitlistEntry.objects.filter(pk=entry.pk).update(
            status=WaitlistEntry.Status.PROMOTED,
            is_waiting=None,
            appointment=appointment,
            updated_at=now,
        )
        operation_log_write(
            actor=actor,
            action="waitlist.promoted",
            obj=entry,
            summary=f"appointment={appointment.pk}",
        )
        appointment_notify(appointment=appointment, event="waitlist_promoted")
        promoted += 1
    return promoted


def _entry_seat_take(
    *,
    actor: Actor,
    entry: WaitlistEntry,
    session: ClinicSession,
    rule: BookingRule,
    now: datetime.datetime,
) -> Appointment | None:
    """Book a free seat of `session` for the waiting `entry`; None when no seat is free.

    A seat that a concurrent booking took after we read it sends this same entry on to
    the next free slot, so the first in line keeps its turn; each slot is tried once.
    Raises DomainError when the patient may not take a seat (caps, already booked).
    """
    tried: set[int] = set()
    while True:
        slot = next(
            (
                s
                for s in _bookable_slots(session=session, rule=rule, now=now)
                if s.booked < s.capacity and s.pk not in tried
            ),
            None,
        )
        if slot is None:
            return None
        tried.add(slot.pk)
        # A savepoint: if this patient cannot take the seat, the seat goes back with it.
        with transaction.atomic():
            if not seat_take(
                slot_id=slot.pk, session_id=session.pk, profile_id=entry.profile_id
            ):
                continue  # taken meanwhile by a concurrent booking
            doctor_day_cap_check(session=session)
            caps_check(profile=entry.profile, session=session, rule=rule)
            return appointment_create_on_taken_seat(
                actor=actor,
                user=entry.user,
                profile=entry.profile,
                slot=slot,
                session=session,
                rule=rule,
                now=now,
            )
