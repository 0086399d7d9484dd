"""Revenue and refunds per day: payments received and refunds paid out (money in fen,
shown in yuan). A payment counts on the local day it was paid, a refund on the day the
channel confirmed it. Two GROUP BY queries."""

from django.db.models import Count, Sum
from django.utils.translation import gettext_lazy as _

from analytics.charts.scope import DashboardScope, local_day
from analytics.charts.table import Column, Table
from billing.models import PaymentOrder, Refund


def revenue_per_day(scope: DashboardScope) -> Table:
    paid = {
        row["day"]: row
        for row in PaymentOrder.objects.filter(
            scope.hospital_filter("hospital_id"),
            scope.moment_filter("paid_at"),
            status__in=PaymentOrder.PAID_STATUSES,
        )
        .values(day=local_day("paid_at"))
        .annotate(orders=Count("id"), paid=Sum("amount"))
        .order_by()
    }
    refunded = {
        row["day"]: row
        for row in Refund.objects.filter(
            scope.hospital_filter("order__hospital_id"),
            scope.moment_filter("succeeded_at"),
            status=Refund.Status.SUCCEEDED,
        )
        .values(day=local_day("succeeded_at"))
        .annotate(refunds=Count("id"), refunded=Sum("amount"))
        .order_by()
    }
    rows = []
    for day in scope.all_days():
        payments = paid.get(day, {"orders": 0, "paid": 0})
        refunds = refunded.get(day, {"refunds": 0, "refunded": 0})
        rows.append(
            {
                "day": day,
                "orders": payments["orders"],
                "paid": payments["paid"],
                "refunds": refunds["refunds"],
                "refunded": refunds["refunded"],
                "net": payments["paid"] - refunds["refunded"],
            }
        )
    return Table(
        columns=(
            Column("day", _("Date"), "date"),
            Column("orders", _("Payments")),
            Column("paid", _("Received (yuan)"), "yuan"),
            Column("refunds", _("Refunds")),
            Column("refunded", _("Refunded (yuan)"), "yuan"),
            Column("net", _("Net (yuan)"), "yuan"),
        ),
        rows=rows,
    )
