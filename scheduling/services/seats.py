"""Extra time slots and seats (加号) that staff add to a session."""

import datetime

from django.db import transaction
from django.db.models import F, Max, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from common.errors import Conflict, Unprocessable
from common.events import publish
from common.services import Actor, operation_log_write
from scheduling import rules
from scheduling.errors import ErrorCode
from scheduling.events import SeatsAdded
from scheduling.models import ClinicSession, Slot
from scheduling.services.availability import _availability_changed_on_commit
from scheduling.services.sessions import MAX_SLOT_CAPACITY, _session_lock
from scheduling.soldout import slot_seats_returned


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

    publish(
        SeatsAdded(session_id=session.pk, actor=actor, slot_id=slot.pk, seats=seats)
    )
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

    publish(
        SeatsAdded(session_id=locked.pk, actor=actor, slot_id=slot.pk, seats=capacity)
    )
    _availability_changed_on_commit([locked.doctor_id])
    slot.refresh_from_db()
    return slot
