"""Waitlist (候补) conversions: from joining the list to a seat, a booking kept, a payment
and a visit. Entries count by the local day they joined. One query."""

from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from analytics.charts.scope import DashboardScope
from analytics.charts.table import Column, Table, rate
from analytics.selectors import DAY_BOOKED_STATUSES
from appointments.models import Appointment, WaitlistEntry
from billing.models import PaymentOrder

S = Appointment.Status


def waitlist_funnel(scope: DashboardScope) -> Table:
    # distinct: the join to payment orders may give an entry several rows.
    figures = WaitlistEntry.objects.filter(
        scope.hospital_filter("session__hospital_id"),
        scope.moment_filter("created_at"),
    ).aggregate(
        entries=Count("id", distinct=True),
        promoted=Count("id", distinct=True, filter=Q(appointment__isnull=False)),
        booked=Count(
            "id", distinct=True, filter=Q(appointment__status__in=DAY_BOOKED_STATUSES)
        ),
        paid=Count(
            "id",
            distinct=True,
            filter=Q(
                appointment__status__in=DAY_BOOKED_STATUSES,
                appointment__payment_orders__status__in=PaymentOrder.PAID_STATUSES,
            ),
        ),
        seen=Count("id", distinct=True, filter=Q(appointment__status=S.COMPLETED)),
    )
    stages = (
        ("entries", _("Joined the waitlist")),
        ("promoted", _("Given a seat")),
        ("booked", _("Booking kept")),
        ("paid", _("Paid")),
        ("seen", _("Seen by the doctor")),
    )
    return Table(
        columns=(
            Column("stage", _("Stage"), "text"),
            Column("count", _("Entries")),
            Column("share", _("Of those who joined (%)"), "percent"),
        ),
        rows=[
            {
                "stage": label,
                "count": figures[key],
                "share": rate(figures[key], figures["entries"]),
            }
            for key, label in stages
        ],
    )
