"""The no-show model in use: score new bookings and record the risk on the booking side.

Each booking is scored once, after its transaction commits (the AppointmentBooked event;
analytics/tasks.py queues it), by the active model (analytics.prediction); the result is
written by appointments' own service, which also contacts the patient of a high-risk
booking. A sweep scores bookings the broker never delivered, so an outage only delays
the risk. Without an active model nothing is written and booking is unaffected.
"""

import datetime
import logging

from django.utils import timezone

from analytics.noshow.own_history import RELATED
from analytics.noshow.store import active_model
from analytics.prediction import appointment_risk_score
from appointments.models import Appointment
from appointments.services.noshow_risk import CONFIRMABLE, appointment_risk_record

logger = logging.getLogger(__name__)

# The queued task normally scores a booking within seconds of its commit.
TASK_GRACE = datetime.timedelta(minutes=2)


def booking_noshow_score(*, appointment_id: int) -> str:
    """Score one booking and record its risk. Idempotent: a booking already scored is
    left as it is. Returns what happened ("low", "medium", "high", or why not)."""
    appointment = (
        Appointment.objects.select_related(*RELATED)
        .filter(pk=appointment_id, noshow_risk__isnull=True)
        .first()
    )
    if appointment is None:
        return "not_found_or_scored"
    score = appointment_risk_score(appointment)
    if score is None:
        return "no_active_model"
    recorded = appointment_risk_record(
        appointment_id=appointment.pk,
        risk=score.risk,
        risk_fair=score.risk_fair,
        band=score.band,
        fair_band=score.fair_band,
        model_id=score.model_id,
    )
    return score.band if recorded is not None else "not_found_or_scored"


def bookings_noshow_score(*, appointment_ids: list[int]) -> dict[str, int]:
    """Score a batch of bookings (the ticket writer's); how many came to each outcome.
    Without an active model the batch costs one lookup, not one per booking."""
    if active_model() is None:
        return {"no_active_model": len(appointment_ids)}
    outcomes: dict[str, int] = {}
    for appointment_id in appointment_ids:
        outcome = booking_noshow_score(appointment_id=appointment_id)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes


def unscored_bookings_score(
    *, now: datetime.datetime | None = None, limit: int = 200
) -> int:
    """The periodic job: score upcoming bookings still without a risk, oldest first:
    those whose task was lost with the broker, and, once a model is first activated, the
    bookings made before (so staff and patients get the band before the visit, not only
    for bookings made from now on). Returns how many were scored."""
    now = now or timezone.now()
    due = list(
        Appointment.objects.filter(
            noshow_risk__isnull=True,
            walk_in=False,
            status__in=CONFIRMABLE,
            visit_starts_at__gt=now,
            created_at__lte=now - TASK_GRACE,
        )
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    scored = 0
    for appointment_id in due:
        outcome = booking_noshow_score(appointment_id=appointment_id)
        if outcome == "no_active_model":
            break  # none of the others can be scored either
        scored += outcome in ("low", "medium", "high")
    if scored:
        logger.info("scored %s bookings the queued task missed", scored)
    return scored
