"""No-shows: the rate over time and by the no-show model's risk band.

Only visits with a known outcome count: seen (completed) or missed (no-show). Cancelled
bookings never reached the visit; checked-in ones still on the floor have no outcome yet.
"""

from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from analytics.charts.scope import DashboardScope, WeekOf
from analytics.charts.table import Column, Table, rate
from appointments.models import Appointment, RiskBand

S = Appointment.Status
OUTCOMES = (S.COMPLETED, S.NO_SHOW)


def _outcomes(scope: DashboardScope):
    return Appointment.objects.filter(
        scope.hospital_filter("hospital_id"),
        scope.day_filter("session__date"),
        status__in=OUTCOMES,
    )


def _counts():
    return {
        "visits": Count("id"),
        "no_shows": Count("id", filter=Q(status=S.NO_SHOW)),
    }


def _columns(first: Column) -> tuple[Column, ...]:
    return (
        first,
        Column("visits", _("Visits due")),
        Column("no_shows", _("No-shows")),
        Column("rate", _("No-show rate (%)"), "percent"),
    )


def noshow_by_week(scope: DashboardScope) -> Table:
    """Per week of the visit day (weeks start on Monday). One query."""
    rows = list(
        _outcomes(scope)
        .values(week=WeekOf("session__date"))
        .annotate(**_counts())
        .order_by("week")
    )
    for row in rows:
        row["rate"] = rate(row["no_shows"], row["visits"])
    return Table(columns=_columns(Column("week", _("Week of"), "date")), rows=rows)


def noshow_by_risk_band(scope: DashboardScope) -> Table:
    """Per band the model gave at booking (low, medium, high; empty: not scored). Every
    band has a row, in that order. One query."""
    counted = {
        row["noshow_risk_band"]: row
        for row in _outcomes(scope)
        .values("noshow_risk_band")
        .annotate(**_counts())
        .order_by()
    }
    bands = [(band.value, band.label) for band in RiskBand] + [("", _("Not scored"))]
    rows = []
    for value, label in bands:
        row = counted.get(value, {"visits": 0, "no_shows": 0})
        rows.append(
            {
                "band": label,
                "visits": row["visits"],
                "no_shows": row["no_shows"],
                "rate": rate(row["no_shows"], row["visits"]),
            }
        )
    return Table(columns=_columns(Column("band", _("Risk band"), "text")), rows=rows)
