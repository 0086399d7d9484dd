"""Which sessions use the release queue (排队放号), and the demand a release met.

Staff mark a session (`session_release_queue_set`). A hospital with a demand factor also
has the doctor's next sessions marked by themselves (`sessions_release_queue_mark_auto`,
the minute job, before the stock loads them): when, at the doctor's last release, the
accounts that tried to book (`ClinicSession.release_demand`, counted by the seat stock and
written by `session_release_demand_record`) were at least factor × that session's seats.
The queue itself is appointments' (appointments.release_queue); scheduling only holds
the mark and the figures.
"""

import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import OuterRef, Subquery, Sum

from common.events import publish
from common.services import Actor, operation_log_write
from scheduling.events import ReleaseQueueChanged
from scheduling.models import BookingRule, ClinicSession
from scheduling.services.availability import _availability_changed_on_commit


def session_release_queue_set(
    *, actor: Actor, session: ClinicSession, on: bool, reason: str = ""
) -> bool:
    """Put the session in the release queue or take it out. False when nothing changed."""
    with transaction.atomic():
        locked = ClinicSession.objects.select_for_update().get(pk=session.pk)
        if locked.release_queue == on:
            return False
        locked.release_queue = on
        locked.save(update_fields=["release_queue", "updated_at"])
        operation_log_write(
            actor=actor,
            action="session_release_queue_on" if on else "session_release_queue_off",
            obj=locked,
            summary=reason,
        )
        publish(ReleaseQueueChanged(session_id=locked.pk, release_queue=on))
        _availability_changed_on_commit([locked.doctor_id])
    session.release_queue = on
    return True


def session_release_demand_record(*, session_id: int, demand: int) -> bool:
    """Write the accounts that tried to book in the session's release, once."""
    return bool(
        ClinicSession.objects.filter(pk=session_id, release_demand__isnull=True).update(
            release_demand=max(0, demand)
        )
    )


def sessions_release_queue_mark_auto(*, now: datetime.datetime) -> list[int]:
    """Mark the sessions releasing within the stock's preload horizon whose doctor's last
    measured release met the hospital's demand factor. Returns the sessions marked."""
    factors = dict(
        BookingRule.objects.filter(
            release_queue_demand_factor__isnull=False
        ).values_list("hospital_id", "release_queue_demand_factor")
    )
    if not factors:
        return []
    horizon = now + datetime.timedelta(minutes=settings.BOOKING_STOCK_PRELOAD_MINUTES)
    # Each coming session with its doctor's last measured release before it (a
    # subquery), then those releases' demand and seats: three queries in all, however
    # many sessions are coming (the job runs every minute).
    last_measured = ClinicSession.objects.filter(
        doctor_id=OuterRef("doctor_id"),
        release_at__lt=OuterRef("release_at"),
        release_demand__isnull=False,
    ).order_by("-release_at")
    coming = list(
        ClinicSession.objects.filter(
            hospital_id__in=factors,
            status=ClinicSession.Status.OPEN,
            release_queue=False,
            release_at__gt=now,
            release_at__lte=horizon,
        )
        .only("pk", "doctor_id", "hospital_id", "release_at")
        .annotate(last_id=Subquery(last_measured.values("pk")[:1]))
    )
    measured = {
        pk: (demand, seats or 0)
        for pk, demand, seats in ClinicSession.objects.filter(
            pk__in={s.last_id for s in coming if s.last_id is not None}
        )
        .annotate(seats=Sum("slots__capacity"))
        .values_list("pk", "release_demand", "seats")
    }
    marked = []
    for session in coming:
        if session.last_id is None:
            continue
        demand, seats = measured[session.last_id]
        factor = factors[session.hospital_id]
        if seats and demand >= factor * seats:
            reason = f"auto: {demand} accounts for {seats} seats (factor {factor})"
            if session_release_queue_set(
                actor=Actor.system(), session=session, on=True, reason=reason
            ):
                marked.append(session.pk)
    return marked
