"""Staff edits of sessions and slots: extra sessions, new times, extra slots and seats (加号)."""

import datetime

from django.db import transaction
from django.db.models import F, Max, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from common.errors import Conflict, Unprocessable
from common.events import publish
from common.services import Actor, operation_log_write
from hospitals.models import Doctor
from scheduling import rules
from scheduling.errors import ErrorCode
from scheduling.events import SeatsAdded
from scheduling.models import ClinicSession, ScheduleTemplate, Slot
from scheduling.services.availability import _availability_changed_on_commit
from scheduling.services.generation import (
    DEFAULT_SEATS_PER_SLOT,
    DEFAULT_SLOT_MINUTES,
    _session_build,
    _slots_create,
)
from scheduling.soldout import slot_seats_returned

# A slot never holds more seats than this (the column is a small integer).
MAX_SLOT_CAPACITY = 500


def session_create_check(
    *, doctor: Doctor, date: datetime.date, now: datetime.datetime | None = None
) -> None:
    """Raise DomainError unless an extra session may be added for `doctor` on `date`."""
    now = now or timezone.now()
    if not doctor.is_active or not doctor.hospital.is_open:
        raise Conflict(
            ErrorCode.DOCTOR_UNAVAILABLE,
            _("The doctor or the hospital is not taking patients."),
        )
    if date < timezone.localdate(now):
        raise Unprocessable(ErrorCode.DATE_IN_PAST, _("The date has already passed."))


def session_overlap_check(
    *,
    doctor_id: int,
    date: datetime.date,
    start_time: datetime.time,
    end_time: datetime.time,
    exclude_pk: int | None = None,
) -> None:
    """Raise Conflict if an open session of the doctor on `date` overlaps these hours."""
    clash = (
        ClinicSession.objects.filter(
            doctor_id=doctor_id,
            date=date,
            status=ClinicSession.Status.OPEN,
            start_time__lt=end_time,
            end_time__gt=start_time,
        )
        .exclude(pk=exclude_pk)
        .order_by("start_time")
        .first()
    )
    if clash is not None:
        raise Conflict(
            ErrorCode.SESSION_OVERLAPS,
            _("The doctor already has a session at %(start)s-%(end)s on that date.")
            % {
                "start": f"{clash.start_time:%H:%M}",
                "end": f"{clash.end_time:%H:%M}",
            },
        )


@transaction.atomic
def session_create(
    *,
    actor: Actor,
    doctor: Doctor,
    date: datetime.date,
    period: str,
    start_time: datetime.time,
    end_time: datetime.time,
    fee: int | None = None,
    place: str | None = None,
    slot_minutes: int = DEFAULT_SLOT_MINUTES,
    seats_per_slot: int = DEFAULT_SEATS_PER_SLOT,
) -> ClinicSession:
    """An extra session outside the weekly templates (临时加诊), split into slots."""
    now = timezone.now()
    session_create_check(doctor=doctor, date=date, now=now)
    session = _session_build(
        doctor=doctor,
        rule=rules.rule_for_hospital_id(doctor.hospital_id),
        date=date,
        period=period,
        start_time=start_time,
        end_time=end_time,
        fee=fee,
        place=place,
        template=None,
        now=now,
    )
    # A throwaway template validates the slot shape with the same ranges as templates.
    ScheduleTemplate(
        doctor=doctor,
        weekday=date.weekday(),
        period=period,
        start_time=start_time,
        end_time=end_time,
        slot_minutes=slot_minutes,
        seats_per_slot=seats_per_slot,
        fee=fee,
    ).clean()
    session.full_clean()
    session_overlap_check(
        doctor_id=doctor.pk, date=date, start_time=start_time, end_time=end_time
    )
    session.save()
    _slots_create(
        session=session, slot_minutes=slot_minutes, seats_per_slot=seats_per_slot
    )
    operation_log_write(
        actor=actor,
        action="session_create",
        obj=session,
        summary=f"{date} {period} {start_time:%H:%M}-{end_time:%H:%M} fee={session.fee}",
    )
    _availability_changed_on_commit([doctor.pk])
    return session


def _session_lock(session_id: int) -> tuple[ClinicSession, list[Slot]]:
    """Lock a session's slots, then the session row; return both, freshly read.

    Slots first, in primary-key order, then the session: the order stopping a session
    and booking use (a booking takes its seat with an UPDATE on the slot row), so none of
    them can deadlock with a staff edit. Holding the slot locks, a status read sees any
    stop that committed before.
    """
    slots = list(
        Slot.objects.select_for_update().filter(session_id=session_id).order_by("pk")
    )
    locked = (
        ClinicSession.objects.select_for_update()
        .select_related("template")
        .get(pk=session_id)
    )
    return locked, slots


def _slot_shape(session: ClinicSession) -> tuple[int, int]:
    """(slot minutes, seats per slot) to rebuild a session's slots with."""
    if session.template is not None:
        return session.template.slot_minutes, session.template.seats_per_slot
    first = session.slots.order_by("starts_at").first()
    if first is None:
        return DEFAULT_SLOT_MINUTES, DEFAULT_SEATS_PER_SLOT
    minutes = int((first.ends_at - first.starts_at).total_seconds() // 60)
    return max(minutes, 5), first.capacity


def session_edit_check(
    *, session: ClinicSession, now: datetime.datetime | None = None
) -> None:
    """Raise Conflict unless staff may still change the session's times, fee or place."""
    now = now or timezone.now()
    if session.status != ClinicSession.Status.OPEN:
        raise Conflict(ErrorCode.SESSION_STOPPED, _("The session has been stopped."))
    if rules.local_datetime(session.date, session.end_time) <= now:
        raise Conflict(ErrorCode.SESSION_OVER, _("The session is already over."))
    if (
        Slot.objects.filter(session_id=session.pk, booked__gt=0).exists()
        or session.appointments.exists()
    ):
        raise Conflict(
            ErrorCode.SESSION_HAS_BOOKINGS,
            _("Patients have booked this session; it can no longer be edited."),
        )


@transaction.atomic
def session_update(
    *,
    actor: Actor,
    session: ClinicSession,
    start_time: datetime.time,
    end_time: datetime.time,
    fee: int,
    place: str,
) -> ClinicSession:
    """Change a session's times, fee or place; allowed only while nobody has booked it.

    Appointments copy the time, fee and place, so once any appointment exists (even a
    cancelled one) the session can only be stopped. New times rebuild the slots with the
    same slot length and seats.
    """
    # A booking takes its seat with an UPDATE on a slot row, so with the slots locked it
    # either waits for this edit or this edit sees its seat.
    locked, _slots = _session_lock(session.pk)
    session_edit_check(session=locked)

    times_changed = (locked.start_time, locked.end_time) != (start_time, end_time)
    changes = []
    for name, value in (
        ("start_time", start_time),
        ("end_time", end_time),
        ("fee", fee),
        ("place", place),
    ):
        if getattr(locked, name) != value:
            changes.append(f"{name}: {getattr(locked, name)} -> {value}")
            setattr(locked, name, value)
    if not changes:
        return locked
    slot_minutes, seats = _slot_shape(locked)
    if times_changed:
        # The new times must hold at least one slot of the current length.
        ScheduleTemplate(
            doctor_id=locked.doctor_id,
            weekday=locked.date.weekday(),
            period=locked.period,
            start_time=start_time,
            end_time=end_time,
            slot_minutes=slot_minutes,
            seats_per_slot=seats,
        ).clean()
        session_overlap_check(
            doctor_id=locked.doctor_id,
            date=locked.date,
            start_time=start_time,
            end_time=end_time,
            exclude_pk=locked.pk,
        )
    locked.full_clean()
    locked.save()
    if times_changed:
        Slot.objects.filter(session=locked).delete()
        _slots_create(session=locked, slot_minutes=slot_minutes, seats_per_slot=seats)
    operation_log_write(
        actor=actor, action="session_update", obj=locked, summary="; ".join(changes)
    )
    _availability_changed_on_commit([locked.doctor_id])
    return locked


@transaction.atomic
def slot_add_seats(*, actor: Actor, slot: Slot, seats: int) -> Slot:
    """Add seats to a slot (加号) and offer them to the session's waitlist at once."""
    if not 1 <= seats <= MAX_SLOT_CAPACITY:
        raise Unprocessable(
            ErrorCode.INVALID_SEATS,
            _("Seats must be between 1 and %(highest)s.")
            % {"highest": MAX_SLOT_CAPACITY},
        )
    session, _slots = _session_lock(slot.session_id)
    if session.status != ClinicSession.Status.OPEN:
        raise Conflict(ErrorCode.SESSION_STOPPED, _("The session has been stopped."))
    if slot.ends_at <= timezone.now():
        raise Conflict(ErrorCode.SLOT_OVER, _("This time slot is already over."))

    added = Slot.objects.filter(
        pk=slot.pk, capacity__lte=MAX_SLOT_CAPACITY - seats
    ).update(capacity=F("capacity") + seats)
    slot_seats_returned(slot_id=slot.pk)
    if added != 1:
        raise Conflict(
            ErrorCode.SLOT_CAPACITY_LIMIT,
            _("A time slot holds at most %(highest)s seats.")
            % {"highest": MAX_SLOT_CAPACITY},
        )
    slot.refresh_from_db()
    operation_log_write(
        actor=actor,
        action="slot_add_seats",
        obj=slot,
        summary=f"+{seats} seats, capacity={slot.capacity}",
    )

    publish(SeatsAdded(session_id=session.pk, actor=actor))
    _availability_changed_on_commit([session.doctor_id])
    slot.refresh_from_db()
    return slot


def session_add_slot_check(
    *,
    session: ClinicSession,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
    capacity: int,
    now: datetime.datetime | None = None,
) -> None:
    """Raise DomainError unless this extra slot may be added to `session`."""
    now = now or timezone.now()
    if timezone.is_naive(starts_at) or timezone.is_naive(ends_at):
        raise Unprocessable(
            ErrorCode.NAIVE_DATETIME, _("Times must include a time zone.")
        )
    if not 1 <= capacity <= MAX_SLOT_CAPACITY:
        raise Unprocessable(
            ErrorCode.INVALID_SEATS,
            _("Seats must be between 1 and %(highest)s.")
            % {"highest": MAX_SLOT_CAPACITY},
        )
    if ends_at <= starts_at:
        raise Unprocessable(
            ErrorCode.INVALID_TIMES, _("The end must be after the start.")
        )
    if session.status != ClinicSession.Status.OPEN:
        raise Conflict(ErrorCode.SESSION_STOPPED, _("The session has been stopped."))
    day_starts = rules.local_datetime(session.date, datetime.time.min)
    day_ends = day_starts + datetime.timedelta(days=1)
    if starts_at < day_starts or ends_at > day_ends:
        raise Unprocessable(
            ErrorCode.SLOT_OUTSIDE_SESSION_DATE,
            _("The slot must lie on the session's date."),
        )
    if starts_at <= now:
        raise Unprocessable(
            ErrorCode.SLOT_IN_PAST, _("The slot must start in the future.")
        )
    if Slot.objects.filter(
        session_id=session.pk, starts_at__lt=ends_at, ends_at__gt=starts_at
    ).exists():
        raise Conflict(
            ErrorCode.SLOT_OVERLAPS, _("The slot overlaps another time slot.")
        )


@transaction.atomic
def session_add_slot(
    *,
    actor: Actor,
    session: ClinicSession,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
    capacity: int,
) -> Slot:
    """Add an extra time slot to a session; its queue numbers follow the session's last.

    The slot must lie on the session's date, start in the future and overlap no other slot.
    """
    # Holding the slot locks also keeps two extra slots from taking the same numbers.
    locked, _slots = _session_lock(session.pk)
    session_add_slot_check(
        session=locked, starts_at=starts_at, ends_at=ends_at, capacity=capacity
    )
    # Seats added to a slot (加号) take numbers past its original range, skipping used ones,
    # so the session's numbers run up to its total seats; start after both that and the
    # highest slot range.
    numbers = Slot.objects.filter(session=locked).aggregate(
        seats=Sum("capacity"), range_end=Max(F("queue_start") + F("capacity"))
    )
    slot = Slot(
        session=locked,
        starts_at=starts_at,
        ends_at=ends_at,
        capacity=capacity,
        queue_start=max((numbers["seats"] or 0) + 1, numbers["range_end"] or 1),
    )
    slot.full_clean()
    slot.save()
    operation_log_write(
        actor=actor,
        action="session_add_slot",
        obj=slot,
        summary=(
            f"session={locked.pk} {timezone.localtime(starts_at):%Y-%m-%d %H:%M}-"
            f"{timezone.localtime(ends_at):%H:%M} seats={capacity} queue_start={slot.queue_start}"
        ),
    )

    publish(SeatsAdded(session_id=locked.pk, actor=actor))
    _availability_changed_on_commit([locked.doctor_id])
    slot.refresh_from_db()
    return slot
