"""A department's measured load, for the queue model and the clinic simulation pages.

Three aggregated queries whatever the date range: the open sessions grouped by date and
period (how long the department was open, and how many doctor-hours it ran), the
appointments of those sessions (arrivals, visits with both times recorded, their mean and
spread, bookings and no-shows, walk-ins), and the visits per doctor.

- λ (arrival rate): patients who checked in, per hour the department was open. A (date,
  period) counts from its first session's start to its last session's end.
- μ (service rate per doctor): 1 / the mean recorded visit (visit_ended_at −
  visit_started_at), over every doctor's visits.
- c (doctors in parallel): doctor-hours of the sessions / hours open, the mean number of
  concurrent sessions; the model takes it rounded (at least 1).
"""

import datetime
from dataclasses import dataclass

from django.db.models import (
    Avg,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    FloatField,
    Max,
    Min,
    Q,
    QuerySet,
    StdDev,
    Sum,
)

from appointments.models import Appointment
from hospitals.models import Department
from scheduling.models import ClinicSession

S = Appointment.Status
# Below this many recorded visits the page shows no model: a mean of a handful of visits
# says little about a department.
MIN_VISITS = 30
# A booking whose outcome is known: the patient came (checked in or seen) or did not.
_OUTCOME_KNOWN = (S.COMPLETED, S.NO_SHOW, *Appointment.ON_THE_FLOOR)
_MICROSECONDS_PER_MINUTE = 60_000_000


def departments_in_scope(hospital_id: int | None) -> QuerySet[Department]:
    """The departments a user may analyse: one hospital's, or every one (None)."""
    departments = Department.objects.select_related("hospital", "parent").filter(
        is_active=True
    )
    if hospital_id is not None:
        departments = departments.filter(hospital_id=hospital_id)
    return departments.order_by("hospital_id", "parent_id", "sort_order", "id")


@dataclass(frozen=True)
class DoctorVisits:
    doctor_id: int
    name: str
    visits: int
    mean_minutes: float


@dataclass(frozen=True)
class DepartmentLoad:
    department_id: int
    start: datetime.date
    end: datetime.date
    sessions: int  # open sessions in the range
    doctor_hours: float  # Σ session lengths
    open_hours: float  # Σ over (date, period) of first start → last end
    arrivals: int  # patients who checked in
    visits: int  # visits with a start and a later end recorded
    mean_visit_minutes: float | None
    visit_sd_minutes: float | None
    bookings: int  # booked (not walk-in) appointments whose outcome is known
    no_shows: int
    walk_ins: int
    doctors: list[DoctorVisits]
    periods: int  # how many (date, period) the department was open

    @property
    def has_enough_data(self) -> bool:
        return (
            self.visits >= MIN_VISITS
            and self.open_hours > 0
            and self.arrivals > 0
            and bool(self.mean_visit_minutes)
        )

    @property
    def arrival_rate(self) -> float:
        """λ, patients per hour the department was open."""
        return self.arrivals / self.open_hours if self.open_hours else 0.0

    @property
    def service_rate(self) -> float:
        """μ, patients per hour one doctor sees."""
        return 60 / self.mean_visit_minutes if self.mean_visit_minutes else 0.0

    @property
    def mean_concurrent_doctors(self) -> float:
        return self.doctor_hours / self.open_hours if self.open_hours else 0.0

    @property
    def servers(self) -> int:
        return max(1, round(self.mean_concurrent_doctors))

    @property
    def mean_session_hours(self) -> float:
        """Hours a (date, period) of the department is open, on average."""
        return self.open_hours / self.periods if self.periods else 0.0

    @property
    def visit_cv(self) -> float | None:
        if not self.mean_visit_minutes or self.visit_sd_minutes is None:
            return None
        return self.visit_sd_minutes / self.mean_visit_minutes

    @property
    def no_show_rate(self) -> float | None:
        return self.no_shows / self.bookings if self.bookings else None

    @property
    def walk_ins_per_hour(self) -> float:
        return self.walk_ins / self.open_hours if self.open_hours else 0.0


def _department_sessions(
    department_id: int, start: datetime.date, end: datetime.date
) -> QuerySet[ClinicSession]:
    in_department = Q(doctor__department_id=department_id) | Q(
        doctor__department__parent_id=department_id
    )
    return ClinicSession.objects.filter(
        in_department,
        status=ClinicSession.Status.OPEN,
        date__gte=start,
        date__lte=end,
    )


def _minutes(value) -> float | None:
    return None if value is None else float(value) / _MICROSECONDS_PER_MINUTE


def _hours_between(first: datetime.time, last: datetime.time) -> float:
    day = datetime.date(2000, 1, 1)
    span = datetime.datetime.combine(day, last) - datetime.datetime.combine(day, first)
    return max(0.0, span.total_seconds() / 3600)


def department_load(
    *, department_id: int, start: datetime.date, end: datetime.date
) -> DepartmentLoad:
    """The department's measured load between two dates (inclusive); see the module doc."""
    sessions = _department_sessions(department_id, start, end)
    length = ExpressionWrapper(
        F("end_time") - F("start_time"), output_field=DurationField()
    )
    periods = list(
        sessions.order_by()
        .values("date", "period")
        .annotate(first=Min("start_time"), last=Max("end_time"), count=Count("id"))
        .annotate(doctor_time=Sum(length))
    )
    open_hours = sum(_hours_between(row["first"], row["last"]) for row in periods)
    doctor_hours = sum(
        row["doctor_time"].total_seconds() / 3600
        for row in periods
        if row["doctor_time"]
    )

    recorded = Q(
        visit_started_at__isnull=False, visit_ended_at__gt=F("visit_started_at")
    )
    visit = ExpressionWrapper(
        F("visit_ended_at") - F("visit_started_at"), output_field=DurationField()
    )
    appointments = Appointment.objects.filter(session__in=sessions).order_by()
    figures = appointments.aggregate(
        arrivals=Count("id", filter=Q(checked_in_at__isnull=False)),
        visits=Count("id", filter=recorded),
        mean_visit=Avg(visit, filter=recorded, output_field=FloatField()),
        sd_visit=StdDev(visit, filter=recorded, sample=True, output_field=FloatField()),
        bookings=Count("id", filter=Q(walk_in=False, status__in=_OUTCOME_KNOWN)),
        no_shows=Count("id", filter=Q(walk_in=False, status=S.NO_SHOW)),
        walk_ins=Count("id", filter=Q(walk_in=True) & ~Q(status=S.CANCELLED)),
    )
    doctors = [
        DoctorVisits(
            doctor_id=row["doctor_id"],
            name=row["doctor__name"],
            visits=row["visits"],
            mean_minutes=_minutes(row["mean"]) or 0.0,
        )
        for row in appointments.filter(recorded)
        .values("doctor_id", "doctor__name")
        .annotate(visits=Count("id"), mean=Avg(visit, output_field=FloatField()))
        .order_by("doctor__name", "doctor_id")
    ]
    return DepartmentLoad(
        department_id=department_id,
        start=start,
        end=end,
        sessions=sum(row["count"] for row in periods),
        doctor_hours=doctor_hours,
        open_hours=open_hours,
        arrivals=figures["arrivals"],
        visits=figures["visits"],
        mean_visit_minutes=_minutes(figures["mean_visit"]),
        visit_sd_minutes=_minutes(figures["sd_visit"]),
        bookings=figures["bookings"],
        no_shows=figures["no_shows"],
        walk_ins=figures["walk_ins"],
        doctors=doctors,
        periods=len(periods),
    )


# The most recent scored bookings a simulation resamples risks from: enough to show the
# spread, few enough to pass on a command line's worth of memory.
MAX_RISKS = 20_000


def department_noshow_risks(*, department_id: int) -> list[float]:
    """The no-show model's stored risks (probabilities) of the department's most recent
    scored bookings, for the simulation to resample; empty when none was scored yet."""
    in_department = Q(doctor__department_id=department_id) | Q(
        doctor__department__parent_id=department_id
    )
    permille = (
        Appointment.objects.filter(
            in_department, noshow_risk__isnull=False, walk_in=False
        )
        .order_by("-visit_starts_at", "-id")
        .values_list("noshow_risk", flat=True)[:MAX_RISKS]
    )
    return [value / 1000 for value in permille]
