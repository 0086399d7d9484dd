"""Our own appointments as the model's visits, for training and for scoring one booking.

A booking's person is the lookup hash of the profile's ID number, so the same person
booked from two accounts has one history. Outcomes: completed = came, no_show = did not;
bookings still ahead have no outcome yet (they count as bookings, not as visits);
cancelled bookings are left out everywhere. The member level is the one the account's
points reached at booking time (the ledger's balance then), or the level an admin granted
if higher (grants carry no date in the ledger, so the current grant is used): today's level
would leak, since attended visits earn the points that raise it.

`visit_and_counts` computes one booking's features with queries, the same numbers
`analytics.ml.visits.history_counts` computes for a whole list: the person's bookings go
through that same function, and the department, doctor and overall rates through the same
smoothing.
"""

import bisect
import datetime
from collections import defaultdict

from django.core.cache import cache
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from accounts.models import MemberLevel, PointsEntry
from analytics.ml.visits import (
    NO_RATE,
    HistoryCounts,
    Visit,
    history_counts,
    smoothed_rate,
)
from appointments.models import Appointment

S = Appointment.Status
OUTCOMES = (S.COMPLETED, S.NO_SHOW)
RELATED = ("profile", "session", "doctor", "user__member_level_floor")


def _bookings() -> QuerySet[Appointment]:
    return Appointment.objects.exclude(status=S.CANCELLED)


def _thresholds() -> list[int]:
    return sorted(MemberLevel.objects.values_list("points_required", flat=True))


def level_points(thresholds: list[int], balance: int, floor: MemberLevel | None) -> int:
    """The points threshold of the level `balance` reaches (0: the entry level)."""
    reached = bisect.bisect_right(thresholds, balance)
    points = thresholds[reached - 1] if reached else 0
    return max(points, floor.points_required if floor is not None else 0)


def _balance_at(user_id: int, moment: datetime.datetime) -> int:
    entry = (
        PointsEntry.objects.filter(user_id=user_id, created_at__lte=moment)
        .order_by("-created_at", "-id")
        .values_list("balance_after", flat=True)
        .first()
    )
    return entry or 0


def appointment_visit(
    appointment: Appointment, *, member_level: int | None = None
) -> Visit:
    """The booking as a visit; `member_level`: its level's points threshold at booking
    time (None when the caller does not need it: history counts do not use it)."""
    zone = timezone.get_default_timezone()
    booked = appointment.created_at.astimezone(zone)
    session = appointment.session
    profile = appointment.profile
    return Visit(
        patient=profile.id_card_hash,
        booked_at=appointment.created_at,
        booked_on=booked.date(),
        visit_date=session.date,
        sex={"female": "F", "male": "M"}.get(profile.gender, ""),
        age=max(0, session.date.year - profile.birth_year),
        department=str(appointment.doctor.department_id),
        doctor=str(appointment.doctor_id),
        clinic_type=session.clinic_type,
        hour=appointment.visit_starts_at.astimezone(zone).hour,
        booked_hour=booked.hour,
        member_level=member_level,
        fee=appointment.fee,
        reminder=appointment.reminders_enabled,
        no_show=(
            appointment.status == S.NO_SHOW if appointment.status in OUTCOMES else None
        ),
    )


def own_visits() -> list[Visit]:
    """Every booking that was not cancelled, as visits (training reads them all)."""
    return [visit for _pk, visit in own_visits_by_id()]


def own_visits_by_id() -> list[tuple[int, Visit]]:
    """(appointment id, visit) of every booking that was not cancelled, in id order."""
    thresholds = _thresholds()
    ledger: dict[int, tuple[list, list[int]]] = defaultdict(lambda: ([], []))
    for user_id, moment, balance in PointsEntry.objects.order_by(
        "created_at", "id"
    ).values_list("user_id", "created_at", "balance_after"):
        ledger[user_id][0].append(moment)
        ledger[user_id][1].append(balance)

    def balance_at(user_id: int, moment: datetime.datetime) -> int:
        times, balances = ledger.get(user_id, ([], []))
        index = bisect.bisect_right(times, moment)
        return balances[index - 1] if index else 0

    return [
        (
            appointment.pk,
            appointment_visit(
                appointment,
                member_level=level_points(
                    thresholds,
                    balance_at(appointment.user_id, appointment.created_at),
                    appointment.user.member_level_floor,
                ),
            ),
        )
        for appointment in _bookings()
        .select_related(*RELATED)
        .order_by("pk")
        .iterator(chunk_size=2000)
    ]


# The department, doctor and overall counts depend only on the booking day, so bookings of
# one day share them: kept a few minutes in the cache (an outcome marked meanwhile shows
# after that). The cache only saves queries: without it, they run each time.
RATE_CACHE_SECONDS = 600


def _outcome_counts(
    queryset: QuerySet[Appointment], *, key: str, day: datetime.date
) -> tuple[int, int]:
    cache_key = f"analytics:noshow:outcomes:{key}:{day.isoformat()}"
    cached = cache.get(cache_key)
    if cached is not None:
        return tuple(cached)
    figures = queryset.filter(status__in=OUTCOMES).aggregate(
        visits=Count("pk"), no_shows=Count("pk", filter=Q(status=S.NO_SHOW))
    )
    counts = (figures["visits"], figures["no_shows"])
    cache.set(cache_key, counts, RATE_CACHE_SECONDS)
    return counts


def visit_and_counts(appointment: Appointment) -> tuple[Visit, HistoryCounts]:
    """One booking's visit and its history, as known when it was made (reads only)."""
    visit = appointment_visit(
        appointment,
        member_level=level_points(
            _thresholds(),
            _balance_at(appointment.user_id, appointment.created_at),
            appointment.user.member_level_floor,
        ),
    )
    person = (
        _bookings()
        .filter(profile__id_card_hash=visit.patient)
        .filter(
            Q(created_at__lte=appointment.created_at)
            | Q(session__date__lt=visit.booked_on)
        )
        .exclude(pk=appointment.pk)
        .select_related(*RELATED)
    )
    mine = [appointment_visit(other) for other in person]
    patient_counts = history_counts([visit, *mine])[0]
    earlier = Appointment.objects.filter(session__date__lt=visit.booked_on)
    day = visit.booked_on
    seen, seen_no_shows = _outcome_counts(earlier, key="all", day=day)
    overall = seen_no_shows / seen if seen else NO_RATE
    department_id = appointment.doctor.department_id
    dept_visits, dept_no_shows = _outcome_counts(
        earlier.filter(doctor__department_id=department_id),
        key=f"department:{department_id}",
        day=day,
    )
    doc_visits, doc_no_shows = _outcome_counts(
        earlier.filter(doctor_id=appointment.doctor_id),
        key=f"doctor:{appointment.doctor_id}",
        day=day,
    )
    counts = HistoryCounts(
        prior_visits=patient_counts.prior_visits,
        prior_no_shows=patient_counts.prior_no_shows,
        prior_bookings=patient_counts.prior_bookings,
        days_since_prev_booking=patient_counts.days_since_prev_booking,
        same_day_bookings=patient_counts.same_day_bookings,
        pending_bookings=patient_counts.pending_bookings,
        department_rate=smoothed_rate(dept_no_shows, dept_visits, overall),
        department_visits=dept_visits,
        doctor_rate=smoothed_rate(doc_no_shows, doc_visits, overall),
    )
    return visit, counts
