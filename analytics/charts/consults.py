"""Online consults (在线问诊) asked per day, with what became of them: answered by the
doctor, cancelled (unpaid in time, withdrawn before any reply, or unanswered by the
deadline), and the average rating of those rated. One query."""

from django.db.models import Avg, Count, Q
from django.utils.translation import gettext_lazy as _

from analytics.charts.scope import DashboardScope, local_day
from analytics.charts.table import Column, Table
from consult.models import Consult


def consults_per_day(scope: DashboardScope) -> Table:
    """Every day of the range has a row, zero when nobody asked."""
    per_day = {
        row["day"]: row
        for row in Consult.objects.filter(
            scope.hospital_filter("hospital_id"), scope.moment_filter("created_at")
        )
        .values(day=local_day("created_at"))
        .annotate(
            asked=Count("id"),
            answered=Count("id", filter=Q(started_at__isnull=False)),
            cancelled=Count("id", filter=Q(status=Consult.Status.CANCELLED)),
            stars=Avg("stars"),
        )
        .order_by("day")
    }
    empty = {"asked": 0, "answered": 0, "cancelled": 0, "stars": None}
    return Table(
        columns=(
            Column("day", _("Date"), "date"),
            Column("asked", _("Consults asked")),
            Column("answered", _("Answered by the doctor")),
            Column("cancelled", _("Cancelled")),
            Column("stars", _("Average rating (stars)"), "average"),
        ),
        rows=[
            {"day": day, **_figures(per_day.get(day, empty))}
            for day in scope.all_days()
        ],
    )


def _figures(row: dict) -> dict:
    stars = row["stars"]
    return {
        "asked": row["asked"],
        "answered": row["answered"],
        "cancelled": row["cancelled"],
        "stars": None if stars is None else round(float(stars), 1),
    }
