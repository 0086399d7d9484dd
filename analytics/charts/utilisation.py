"""Utilisation of the clinics: seats booked and patients seen against the seats offered.

Seats offered are the slots' capacity in open sessions of the range (a stopped clinic
offered nothing); booked is the seats held (slot counters); seen is the visits completed.
Two GROUP BY queries per chart: one over slots, one over completed appointments.
"""

from django.db.models import Count, F, Sum
from django.utils.translation import gettext_lazy as _

from analytics.charts.scope import DashboardScope
from analytics.charts.table import Column, Table, rate
from appointments.models import Appointment
from scheduling.models import ClinicSession, Slot

OPEN = ClinicSession.Status.OPEN


def _utilisation(scope: DashboardScope, *, group: str, label_columns: dict) -> Table:
    """`group` is the path from a session to what is grouped by (e.g. "doctor__department")."""
    seats = (
        Slot.objects.filter(
            scope.hospital_filter("session__hospital_id"),
            scope.day_filter("session__date"),
            session__status=OPEN,
        )
        .values(
            key=F(f"session__{group}_id"),
            **{name: F(f"session__{path}") for name, path in label_columns.items()},
        )
        .annotate(capacity=Sum("capacity"), booked=Sum("booked"))
        .order_by("key")
    )
    seen = dict(
        Appointment.objects.filter(
            scope.hospital_filter("hospital_id"),
            scope.day_filter("session__date"),
            session__status=OPEN,
            status=Appointment.Status.COMPLETED,
        )
        .values_list(f"session__{group}_id")
        .annotate(seen=Count("id"))
        .order_by()
    )
    rows = []
    for row in seats:
        row["seen"] = seen.get(row["key"], 0)
        row["booked_rate"] = rate(row["booked"], row["capacity"])
        row["seen_rate"] = rate(row["seen"], row["capacity"])
        rows.append(row)
    rows.sort(key=lambda row: (-(row["booked_rate"] or 0), row["key"]))
    return Table(
        columns=(
            *(
                Column(name, LABELS[name], "text")
                for name in label_columns
                if name in LABELS
            ),
            Column("capacity", _("Seats offered")),
            Column("booked", _("Seats booked")),
            Column("seen", _("Patients seen")),
            Column("booked_rate", _("Booked / seats (%)"), "percent"),
            Column("seen_rate", _("Seen / seats (%)"), "percent"),
        ),
        rows=rows,
    )


LABELS = {
    "hospital": _("Hospital"),
    "department": _("Department"),
    "doctor": _("Doctor"),
}


def utilisation_by_department(scope: DashboardScope) -> Table:
    labels = {"department": "doctor__department__name"}
    if scope.hospital_id is None:
        labels = {"hospital": "hospital__name"} | labels
    return _utilisation(scope, group="doctor__department", label_columns=labels)


def utilisation_by_doctor(scope: DashboardScope) -> Table:
    labels = {"doctor": "doctor__name", "department": "doctor__department__name"}
    if scope.hospital_id is None:
        labels = {"hospital": "hospital__name"} | labels
    return _utilisation(scope, group="doctor", label_columns=labels)
