"""What the doctor's workspace and the waiting-room screen read (selectors).

Names are masked (accounts.selectors.person_name_masked: 张*伟) everywhere here: the
workspace is shown on a consulting-room screen, the waiting room on a public TV.
"""

import datetime
from dataclasses import dataclass

from django.db.models import (
    F,
    IntegerField,
    OuterRef,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import User
from accounts.selectors import person_name_masked
from appointments.models import Appointment, WaitlistEntry
from appointments.queue import queue_sorted, visit_priority_for_hospital
from appointments.selectors import session_list_for_clinic_user
from scheduling.models import ClinicSession, Slot

S = Appointment.Status


def _minutes(
    start: datetime.datetime | None, end: datetime.datetime | None
) -> int | None:
    if start is None or end is None:
        return None
    return max(0, int((end - start).total_seconds() // 60))


def sessions_with_counts(qs: QuerySet[ClinicSession]) -> QuerySet[ClinicSession]:
    """Annotate seats_left, waitlist_count and waiting_count (checked in, not called)."""
    seats = (
        Slot.objects.filter(session_id=OuterRef("pk"))
        .values("session_id")
        .annotate(left=Sum(F("capacity") - F("booked")))
        .values("left")
    )
    waitlist = (
        WaitlistEntry.objects.filter(
            session_id=OuterRef("pk"), status=WaitlistEntry.Status.WAITING
        )
        .values("session_id")
        .annotate(n=Coalesce(Sum(Value(1)), 0))
        .values("n")
    )
    waiting = (
        Appointment.objects.filter(session_id=OuterRef("pk"), status=S.CHECKED_IN)
        .values("session_id")
        .annotate(n=Coalesce(Sum(Value(1)), 0))
        .values("n")
    )
    return qs.annotate(
        seats_left=Coalesce(Subquery(seats, output_field=IntegerField()), 0),
        waitlist_count=Coalesce(Subquery(waitlist, output_field=IntegerField()), 0),
        waiting_count=Coalesce(Subquery(waiting, output_field=IntegerField()), 0),
    )


def workspace_sessions(
    *, user: User, date_from: datetime.date, date_to: datetime.date
) -> QuerySet[ClinicSession]:
    """The sessions the user works between two dates (a doctor: their own; staff: their
    hospital's), with their counts, in time order."""
    qs = session_list_for_clinic_user(user=user).filter(
        date__gte=date_from, date__lte=date_to
    )
    return sessions_with_counts(qs).order_by("date", "start_time", "pk")


@dataclass(frozen=True)
class QueueEntry:
    appointment_id: int
    queue_no: int
    status: str
    status_display: str
    is_checked_in: bool
    checked_in_at: datetime.datetime | None
    waiting_minutes: int | None
    call_count: int
    last_called_at: datetime.datetime | None
    patient_name: str
    walk_in: bool
    called_first: bool
    # The no-show model's band ("" when not scored) and whether the patient confirmed.
    noshow_risk_band: str
    noshow_risk_band_display: str
    confirmed: bool


# The order of the groups in a session's queue.
_GROUP = {
    S.CALLED: 0,
    S.CHECKED_IN: 1,
    S.SKIPPED: 2,
    S.BOOKED: 3,
    S.PENDING_PAYMENT: 3,
    S.COMPLETED: 4,
    S.NO_SHOW: 5,
}


def session_queue(
    *, session: ClinicSession, now: datetime.datetime | None = None
) -> list[QueueEntry]:
    """Every appointment of the session that holds its seat, in floor order: being called
    (latest call first), waiting (in call order), skipped, not arrived yet (by number),
    seen, absent."""
    now = now or timezone.now()
    priority = visit_priority_for_hospital(session.hospital_id)
    rows = list(
        Appointment.objects.filter(session_id=session.pk, holds_seat=True)
        .select_related("profile", "user")
        .order_by("queue_no", "pk")
    )
    called = sorted(
        (a for a in rows if a.status == S.CALLED),
        key=lambda a: a.last_called_at or now,
        reverse=True,
    )
    waiting = queue_sorted((a for a in rows if a.status == S.CHECKED_IN), priority)
    rest = sorted(
        (a for a in rows if a.status not in (S.CALLED, S.CHECKED_IN)),
        key=lambda a: (_GROUP.get(a.status, 9), a.queue_no, a.pk),
    )
    entries = []
    for a in [*called, *waiting, *rest]:
        waited_until = (
            now if a.status in (S.CHECKED_IN, S.SKIPPED) else a.visit_started_at
        )
        entries.append(
            QueueEntry(
                appointment_id=a.pk,
                queue_no=a.queue_no,
                status=a.status,
                status_display=a.get_status_display(),
                is_checked_in=a.checked_in_at is not None,
                checked_in_at=a.checked_in_at,
                waiting_minutes=_minutes(a.checked_in_at, waited_until),
                call_count=a.call_count,
                last_called_at=a.last_called_at,
                patient_name=person_name_masked(a.profile.name),
                walk_in=a.walk_in,
                called_first=a.status == S.CHECKED_IN and priority.applies_to(a),
                noshow_risk_band=a.noshow_risk_band,
                noshow_risk_band_display=a.get_noshow_risk_band_display(),
                confirmed=a.confirmed_at is not None,
            )
        )
    return entries


# -- the waiting-room screen -------------------------------------------------------------

SCREEN_NEXT = 5  # how many waiting patients the screen lists by name


def _screen_patient(a: Appointment) -> dict:
    return {
        "queue_no": a.queue_no,
        "name": person_name_masked(a.profile.name),
        "call_count": a.call_count,
    }


def department_screen_board(
    *, department_id: int, now: datetime.datetime | None = None
) -> list[dict]:
    """Today's open sessions of a department for the waiting room: per doctor, who is
    called (latest call first), the next few waiting, how many wait, who was skipped.
    Only masked names and queue numbers leave here."""
    now = now or timezone.now()
    sessions = list(
        ClinicSession.objects.filter(
            doctor__department_id=department_id,
            date=timezone.localdate(now),
            status=ClinicSession.Status.OPEN,
        )
        .select_related("doctor")
        .order_by("start_time", "doctor__name", "pk")
    )
    rows = Appointment.objects.filter(
        session__in=sessions, status__in=Appointment.ON_THE_FLOOR
    ).select_related("profile", "user")
    by_session: dict[int, list[Appointment]] = {s.pk: [] for s in sessions}
    for a in rows:
        by_session[a.session_id].append(a)
    board = []
    for session in sessions:
        floor = by_session[session.pk]
        priority = visit_priority_for_hospital(session.hospital_id)
        called = sorted(
            (a for a in floor if a.status == S.CALLED),
            key=lambda a: a.last_called_at or now,
            reverse=True,
        )
        waiting = queue_sorted((a for a in floor if a.status == S.CHECKED_IN), priority)
        skipped = sorted(
            (a for a in floor if a.status == S.SKIPPED), key=lambda a: a.queue_no
        )
        board.append(
            {
                "session_id": session.pk,
                "doctor": session.doctor.name,
                "place": session.place,
                "period": session.get_period_display(),
                "calling": [_screen_patient(a) for a in called],
                "next": [_screen_patient(a) for a in waiting[:SCREEN_NEXT]],
                "waiting_count": len(waiting),
                "skipped": [_screen_patient(a) for a in skipped],
            }
        )
    return board
