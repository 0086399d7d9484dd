"""Staff edits of sessions: extra sessions (临时加诊) and new times, fee, place, type or room.

Extra slots and seats (加号) are in scheduling.services.seats."""

import datetime
import enum

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from common.errors import Conflict, Unprocessable
from common.services import Actor, operation_log_write
from hospitals.models import ConsultingRoom, Doctor
from scheduling import rules
from scheduling.errors import ErrorCode
from scheduling.models import ClinicSession, ClinicType, ScheduleTemplate, Slot
from scheduling.services.availability import _availability_changed_on_commit
from scheduling.services.generation import (
    DEFAULT_SEATS_PER_SLOT,
    DEFAULT_SLOT_MINUTES,
    _session_build,
    _slots_create,
)
from scheduling.services.rooms import room_claim

# A slot never holds more seats than this (the column is a small integer).
MAX_SLOT_CAPACITY = 500


class Keep(enum.Enum):
    """session_update(room=KEEP): leave the room as it is (None takes the room away)."""

    KEEP = "keep"


KEEP = Keep.KEEP


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
    clinic_type: str = ClinicType.GENERAL,
    room: ConsultingRoom | None = None,
) -> ClinicSession:
    """An extra session outside the weekly templates (临时加诊), split into slots.

    A `room` must be of the doctor's hospital, in use, and free at these hours: checked
    under the room's row lock (scheduling.services.rooms).
    """
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
        clinic_type=clinic_type,
        room_id=room.pk if room is not None else None,
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
    if room is not None:
        room_claim(room_id=room.pk, date=date, start_time=start_time, end_time=end_time)
    session.save()
    _slots_create(
        session=session, slot_minutes=slot_minutes, seats_per_slot=seats_per_slot
    )
    operation_log_write(
        actor=actor,
        action="session_create",
        obj=session,
        summary=(
            f"{date} {period} {start_time:%H:%M}-{end_time:%H:%M} fee={session.fee} "
            f"{clinic_type} room={session.room_id}"
        ),
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
    clinic_type: str | None = None,
    room: ConsultingRoom | None | Keep = KEEP,
) -> ClinicSession:
    """Change a session's times, fee, place, clinic type or room; allowed only while nobody
    has booked it. `clinic_type` None and `room` KEEP leave those as they are.

    Appointments copy the time, fee and place, so once any appointment exists (even a
    cancelled one) the session can only be stopped. New times rebuild the slots with the
    same slot length and seats.
    """
    # A booking takes its seat with an UPDATE on a slot row, so with the slots locked it
    # either waits for this edit or this edit sees its seat.
    locked, _slots = _session_lock(session.pk)
    session_edit_check(session=locked)

    times_changed = (locked.start_time, locked.end_time) != (start_time, end_time)
    values: list[tuple[str, object]] = [
        ("start_time", start_time),
        ("end_time", end_time),
        ("fee", fee),
        ("place", place),
    ]
    if clinic_type is not None:
        values.append(("clinic_type", clinic_type))
    if not isinstance(room, Keep):
        values.append(("room_id", room.pk if room is not None else None))
    room_changed = not isinstance(room, Keep) and locked.room_id != values[-1][1]
    changes = []
    for name, value in values:
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
    if locked.room_id is not None and (times_changed or room_changed):
        # After the slot and session locks above: the room's row comes last.
        room_claim(
            room_id=locked.room_id,
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
