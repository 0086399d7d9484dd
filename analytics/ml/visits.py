"""One booking as the model sees it, and its history counted without leakage.

The history of a booking counts only what was known when the booking was made:
- outcomes (came / did not come) of the patient's visits whose visit day is before the day
  the booking was made (a visit on the booking day may still be under way, and a later
  one has not happened yet);
- the patient's other bookings made at or before the booking time (they exist in the
  system at that moment, whatever became of them later);
- a department's (or doctor's) no-show rate over visits before the booking day.
`history_counts` computes these for a whole list at once; analytics.noshow.own_history
computes the same figures for one appointment with queries, for scoring a new booking.
"""

import bisect
import datetime
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

# Prior weight of the smoothed rates: a department with few known visits gets close to
# the overall rate instead of 0 or 1.
RATE_PRIOR_VISITS = 20
NO_RATE = -1.0  # no known visit at all yet (the overall rate itself is unknown)


@dataclass(frozen=True)
class Visit:
    patient: str  # a key that is the same for the same patient (a hash, never a raw id)
    booked_at: datetime.datetime  # aware: when the booking was made
    booked_on: datetime.date  # the booking's day in the clinic's local time
    visit_date: datetime.date
    sex: str = ""  # "F", "M" or "" (unknown)
    age: int | None = None
    department: str = ""
    doctor: str = ""
    clinic_type: str = ""
    hour: int | None = None  # the visit's local hour, where known
    booked_hour: int | None = None  # the local hour the booking was made
    member_level: int | None = None  # the level's points threshold (0: entry level)
    fee: int | None = None  # fen
    reminder: bool | None = None
    extra: tuple[tuple[str, float], ...] = field(default=())  # source-specific flags
    no_show: bool | None = None  # None: outcome unknown (not a training row)

    @property
    def lead_days(self) -> int:
        return (self.visit_date - self.booked_on).days


@dataclass(frozen=True)
class HistoryCounts:
    prior_visits: int = 0  # the patient's visits with a known outcome at booking time
    prior_no_shows: int = 0  # of those, no-shows
    prior_bookings: int = 0  # the patient's other bookings made at or before this one
    days_since_prev_booking: float = -1.0  # -1: no earlier booking
    same_day_bookings: int = 0  # other bookings for the same visit day, known by then
    pending_bookings: int = 0  # other bookings known by then whose visit is still ahead
    department_rate: float = NO_RATE
    department_visits: int = 0
    doctor_rate: float = NO_RATE


def smoothed_rate(no_shows: int, visits: int, overall: float) -> float:
    if overall == NO_RATE:
        return NO_RATE
    return (no_shows + RATE_PRIOR_VISITS * overall) / (visits + RATE_PRIOR_VISITS)


class _Outcomes:
    """Visit days with a known outcome, sorted, with the running count of no-shows."""

    def __init__(self, items: list[tuple[datetime.date, bool]]) -> None:
        items.sort(key=lambda item: item[0])
        self.days = [day for day, _ in items]
        self.no_shows = [0]
        for _day, no_show in items:
            self.no_shows.append(self.no_shows[-1] + int(no_show))

    def before(self, day: datetime.date) -> tuple[int, int]:
        """(visits, no-shows) with a visit day strictly before `day`."""
        index = bisect.bisect_left(self.days, day)
        return index, self.no_shows[index]


def _outcomes_by(visits: Sequence[Visit], key) -> dict[str, _Outcomes]:
    grouped: dict[str, list] = defaultdict(list)
    for visit in visits:
        if visit.no_show is not None and key(visit):
            grouped[key(visit)].append((visit.visit_date, visit.no_show))
    return {name: _Outcomes(items) for name, items in grouped.items()}


def _booking_counts(own: list[Visit], visit: Visit, index_of_self: int) -> dict:
    """The patient's other bookings known at `visit.booked_at` (own: sorted by time)."""
    times = [other.booked_at for other in own]
    known = bisect.bisect_right(times, visit.booked_at)  # includes ties and itself
    earlier = bisect.bisect_left(times, visit.booked_at)
    days_since = (
        (visit.booked_at - own[earlier - 1].booked_at).total_seconds() / 86400
        if earlier > 0
        else -1.0
    )
    same_day = pending = 0
    for position in range(known):
        if position == index_of_self:
            continue
        other = own[position]
        same_day += other.visit_date == visit.visit_date
        pending += other.visit_date >= visit.booked_on
    return {
        "prior_bookings": known - 1,
        "days_since_prev_booking": round(days_since, 3),
        "same_day_bookings": same_day,
        "pending_bookings": pending,
    }


def history_counts(visits: Sequence[Visit]) -> list[HistoryCounts]:
    """The HistoryCounts of every visit, from the others in the list (same order)."""
    overall = _Outcomes(
        [(v.visit_date, v.no_show) for v in visits if v.no_show is not None]
    )
    by_patient = _outcomes_by(visits, lambda v: v.patient)
    by_department = _outcomes_by(visits, lambda v: v.department)
    by_doctor = _outcomes_by(visits, lambda v: v.doctor)
    bookings: dict[str, list[int]] = defaultdict(list)
    for position, visit in enumerate(visits):
        bookings[visit.patient].append(position)
    place: dict[int, tuple[list[Visit], int]] = {}
    for positions in bookings.values():
        positions.sort(key=lambda p: (visits[p].booked_at, p))
        own = [visits[p] for p in positions]
        for rank, p in enumerate(positions):
            place[p] = (own, rank)

    result = []
    for position, visit in enumerate(visits):
        seen, seen_no_shows = overall.before(visit.booked_on)
        overall_rate = seen_no_shows / seen if seen else NO_RATE
        prior = by_patient.get(visit.patient)
        visits_before, no_shows_before = (
            prior.before(visit.booked_on) if prior else (0, 0)
        )
        department = by_department.get(visit.department)
        dept_visits, dept_no_shows = (
            department.before(visit.booked_on) if department else (0, 0)
        )
        doctor = by_doctor.get(visit.doctor)
        doc_visits, doc_no_shows = doctor.before(visit.booked_on) if doctor else (0, 0)
        own, rank = place[position]
        result.append(
            HistoryCounts(
                prior_visits=visits_before,
                prior_no_shows=no_shows_before,
                department_rate=smoothed_rate(dept_no_shows, dept_visits, overall_rate),
                department_visits=dept_visits,
                doctor_rate=smoothed_rate(doc_no_shows, doc_visits, overall_rate),
                **_booking_counts(own, visit, rank),
            )
        )
    return result
