"""Scoring past bookings in bulk, for the dashboards' no-show rate by risk band.

New bookings are scored one by one as they are made (analytics.scoring). History made
before a model was active (an import of the hospital's past, `seed_year`) has no risk, so
the chart by risk band would show it all as "not scored". This scores it with the active
model in one pass: the same leak-free features as training and scoring (each booking sees
only visits whose day is before its booking day), in bulk, and records it through
appointments' own service, which contacts nobody (the visits are over).

Read the chart with that in mind: bookings the active model was trained on are scored
in-sample, which flatters the bands; bookings scored when they were made are the honest
measure.
"""

import datetime
from collections.abc import Callable

from django.utils import timezone

from analytics.ml.features import feature_row
from analytics.ml.training import band
from analytics.ml.visits import history_counts
from analytics.noshow.own_history import own_visits_by_id
from analytics.noshow.store import active_model
from appointments.models import Appointment
from appointments.services.noshow_risk import PastRisk, past_appointments_risk_record

BATCH = 2000


def past_bookings_score(
    *,
    since: datetime.date | None = None,
    now: datetime.datetime | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> int | None:
    """Score past bookings (visit before `now`, on or after `since`) that have no risk.
    Returns how many were written, or None when no model is active."""
    found = active_model()
    if found is None:
        return None
    active, loaded = found
    now = now or timezone.now()
    pending = Appointment.objects.filter(
        noshow_risk__isnull=True, walk_in=False, visit_starts_at__lt=now
    ).exclude(status=Appointment.Status.CANCELLED)
    if since is not None:
        pending = pending.filter(session__date__gte=since)
    wanted = set(pending.values_list("pk", flat=True))
    if not wanted:
        return 0
    pairs = own_visits_by_id()
    # Counted over every booking, so each sees its whole earlier history.
    counts = history_counts([visit for _pk, visit in pairs])
    chosen = [
        (pk, feature_row(visit, count, holidays=loaded.holidays))
        for (pk, visit), count in zip(pairs, counts, strict=True)
        if pk in wanted
    ]
    thresholds = {
        "medium": active["threshold_medium"],
        "high": active["threshold_high"],
    }
    written = 0
    for start in range(0, len(chosen), BATCH):
        batch = chosen[start : start + BATCH]
        rows = [row for _pk, row in batch]
        main = loaded.main.risk(rows)
        fair = loaded.fair.risk(rows)
        risks = []
        for (pk, _row), risk, risk_fair in zip(batch, main, fair, strict=True):
            # Rounded before banding, as analytics.prediction does.
            risk, risk_fair = round(float(risk), 4), round(float(risk_fair), 4)
            risks.append(
                PastRisk(
                    appointment_id=pk,
                    risk=risk,
                    risk_fair=risk_fair,
                    band=band(risk, thresholds),
                    fair_band=band(risk_fair, thresholds),
                )
            )
        written += past_appointments_risk_record(
            risks=risks, model_id=active["id"], now=now
        )
        if progress is not None:
            progress(min(start + BATCH, len(chosen)), len(chosen))
    return written
