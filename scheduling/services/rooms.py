"""Consulting rooms of sessions: a room holds one open session at a time on a date.

Every write that puts a room on a session (an extra session, an edit, generation from a
weekly template) first locks the room's row, then looks for an open session of that room
whose hours overlap. Two such writes for one room therefore run one after the other, and
the second sees the first's session (READ COMMITTED re-reads after the lock), so two
concurrent writes can never both pass. Nothing else locks a room row, and these writes
take it after any slot and session locks they hold, so the lock cannot close a cycle.
"""

import datetime

from django.utils.translation import gettext as _

from common.errors import Conflict
from hospitals.models import ConsultingRoom
from scheduling.errors import ErrorCode
from scheduling.models import ClinicSession, ScheduleTemplate


def room_lock(*, room_id: int) -> ConsultingRoom:
    """Lock the room's row until the transaction ends and return it, freshly read."""
    return ConsultingRoom.objects.select_for_update().get(pk=room_id)


def room_active_check(*, room: ConsultingRoom) -> None:
    if not room.is_active:
        raise Conflict(
            ErrorCode.ROOM_INACTIVE,
            _("The consulting room %(room)s is no longer in use.") % {"room": room},
        )


def room_free_check(
    *,
    room: ConsultingRoom,
    date: datetime.date,
    start_time: datetime.time,
    end_time: datetime.time,
    exclude_pk: int | None = None,
) -> None:
    """Raise Conflict if another open session holds `room` at overlapping hours of `date`.

    Decisive only while the caller holds room_lock; without it (admin forms) it answers
    early with the same message.
    """
    clash = (
        ClinicSession.objects.filter(
            room_id=room.pk,
            date=date,
            status=ClinicSession.Status.OPEN,
            start_time__lt=end_time,
            end_time__gt=start_time,
        )
        .exclude(pk=exclude_pk)
        .select_related("doctor")
        .order_by("start_time", "pk")
        .first()
    )
    if clash is not None:
        raise Conflict(
            ErrorCode.ROOM_OCCUPIED,
            _(
                "The consulting room %(room)s is taken by %(doctor)s at "
                "%(start)s-%(end)s on that date."
            )
            % {
                "room": room,
                "doctor": clash.doctor.name,
                "start": f"{clash.start_time:%H:%M}",
                "end": f"{clash.end_time:%H:%M}",
            },
        )


def room_claim(
    *,
    room_id: int,
    date: datetime.date,
    start_time: datetime.time,
    end_time: datetime.time,
    exclude_pk: int | None = None,
) -> ConsultingRoom:
    """Lock the room and check that it is in use and free then; call inside a transaction."""
    room = room_lock(room_id=room_id)
    room_active_check(room=room)
    room_free_check(
        room=room,
        date=date,
        start_time=start_time,
        end_time=end_time,
        exclude_pk=exclude_pk,
    )
    return room


def template_room_check(*, template: ScheduleTemplate) -> None:
    """Raise Conflict if another active weekly clinic uses the room at overlapping hours.

    Two such templates would generate sessions that cannot share the room; generation
    would then leave the room off the later one.
    """
    if (
        template.room_id is None
        or not template.is_active
        or template.start_time is None
        or template.end_time is None
    ):
        return
    room_active_check(room=template.room)
    clash = (
        ScheduleTemplate.objects.filter(
            room_id=template.room_id,
            weekday=template.weekday,
            is_active=True,
            start_time__lt=template.end_time,
            end_time__gt=template.start_time,
        )
        .exclude(pk=template.pk)
        .select_related("doctor")
        .order_by("start_time", "pk")
        .first()
    )
    if clash is not None:
        raise Conflict(
            ErrorCode.ROOM_OCCUPIED,
            _(
                "The consulting room %(room)s is taken by the weekly clinic of "
                "%(doctor)s at %(start)s-%(end)s on this weekday."
            )
            % {
                "room": template.room,
                "doctor": clash.doctor.name,
                "start": f"{clash.start_time:%H:%M}",
                "end": f"{clash.end_time:%H:%M}",
            },
        )
