"""Volume: bookings made per day (online consults: analytics.charts.consults)."""

from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from analytics.charts.scope import DashboardScope, local_day
from analytics.charts.table import Column, Table
from analytics.selectors import DAY_BOOKED_STATUSES
from appointments.models import Appointment

S = Appointment.Status


def bookings_per_day(scope: DashboardScope) -> Table:
    """Bookings made on each local day (by when they were made), with what became of them:
    confirmed (paid or free, whatever happened at the visit), cancelled, still unpaid.
    Every day of the range has a row, zero when nothing was booked. One query."""
    per_day = {
        row["day"]: row
        for row in Appointment.objects.filter(
            scope.hospital_filter("hospital_id"), scope.moment_filter("created_at")
        )
        .values(day=local_day("created_at"))
        .annotate(
            bookings=Count("id"),
            confirmed=Count("id", filter=Q(status__in=DAY_BOOKED_STATUSES)),
            cancelled=Count("id", filter=Q(status=S.CANCELLED)),
            unpaid=Count("id", filter=Q(status=S.PENDING_PAYMENT)),
        )
        .order_by("day")
    }
    empty = {"bookings": 0, "confirmed": 0, "cancelled": 0, "unpaid": 0}
    return Table(
        columns=(
            Column("day", _("Date"), "date"),
            Column("bookings", _("Bookings made")),
            Column("confirmed", _("Confirmed")),
            Column("cancelled", _("Cancelled")),
            Column("unpaid", _("Awaiting payment")),
        ),
        rows=[
            {"day": day, **{k: per_day.get(day, empty)[k] for k in empty}}
            for day in scope.all_days()
        ],
    )
