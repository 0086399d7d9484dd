"""A span of realistic clinic history for one hospital, planned in memory day by day.

`manage.py seed_year` calls `history_plan_day` for each day and writes what it returns
in bulk (demo/history_write.py). Everything follows from the seed:

- Sessions come from the hospital's weekly templates. Public holidays (chinesecalendar)
  keep a third of the clinics; about one session in two hundred is stopped (停诊).
- Demand per slot depends on the doctor's title (chief physicians' slots sell out and
  gather a waitlist), the weekday (Monday busiest), the season (winter high, the Spring
  Festival month low) and a slow upward trend.
- Each booking is made 0 to 7 days ahead (the booking window), paid at once, and then
  cancelled (refunded), missed (no-show) or seen (completed, with the visit's real start
  and end: the doctor sees the checked-in patients one after another).
- A no-show is more likely the longer ahead it was booked, for young adults, on Mondays,
  and for patients who missed earlier visits (counted only from visits before the day of
  booking) or who are unreliable by nature (a hidden trait per patient): a model trained
  on this history finds signal without leakage.
- Cancellations free seats; the first entry on the session's waitlist takes the seat
  (promoted), and most of them pay. Entries never reached are closed, some left earlier.
"""

import datetime

import chinese_calendar

from demo.history_context import DayPlan, HistoryContext, local_at, minutes
from demo.history_visits import (
    booked_at,
    early_outcomes,
    new_visit,
    paid,
    promote,
    visit_outcomes,
    waitlist_of,
)
from hospitals.models import Doctor
from scheduling import rules
from scheduling.models import ClinicSession, Slot

TITLE_FILL = {
    Doctor.Title.CHIEF: 1.25,
    Doctor.Title.ASSOCIATE_CHIEF: 0.95,
    Doctor.Title.ATTENDING: 0.75,
    Doctor.Title.RESIDENT: 0.55,
}
WEEKDAY_FILL = (1.18, 1.05, 1.0, 0.95, 0.9, 1.1, 0.8)
MONTH_FILL = (1.12, 0.78, 1.0, 0.97, 0.95, 0.98, 1.04, 1.06, 0.96, 0.88, 1.03, 1.14)


def is_holiday(day: datetime.date) -> bool:
    """A Chinese public holiday (not an ordinary weekend); outside the package's years: none."""
    try:
        on_holiday, name = chinese_calendar.get_holiday_detail(day)
    except NotImplementedError:
        return False
    return on_holiday and name is not None


def _sessions_of(ctx: HistoryContext, day: datetime.date) -> list[ClinicSession]:
    rng = ctx.rng
    holiday = is_holiday(day)
    sessions = []
    for template in ctx.templates:
        if template.weekday != day.weekday():
            continue
        if holiday and rng.random() < 0.67:
            continue
        doctor = template.doctor
        release = local_at(
            day - datetime.timedelta(days=ctx.window_days), datetime.time(8)
        )
        stopped = rng.random() < 0.005
        session = ClinicSession(
            doctor=doctor,
            hospital_id=ctx.hospital_id,
            template=template,
            date=day,
            period=template.period,
            start_time=template.start_time,
            end_time=template.end_time,
            fee=template.fee if template.fee is not None else doctor.fee,
            place=f"{ctx.hospital_name} {doctor.department.name}"[:100],
            clinic_type=template.clinic_type,
            room=template.room,
            release_at=release,
            is_released=True,
            status=ClinicSession.Status.STOPPED
            if stopped
            else ClinicSession.Status.OPEN,
            stop_reason="医生临时停诊" if stopped else "",
            no_shows_marked_at=None
            if stopped
            else local_at(day, template.end_time) + minutes(30),
        )
        session.created_at = release - datetime.timedelta(days=1)
        session.updated_at = session.no_shows_marked_at or release
        session.seats_per_slot = template.seats_per_slot  # used while planning only
        session.slot_minutes = template.slot_minutes
        sessions.append(session)
    return sessions


def _demand(ctx: HistoryContext, session: ClinicSession, capacity: int) -> int:
    day = session.date
    days_in = (day - ctx.start).days
    fill = (
        TITLE_FILL.get(session.doctor.title, 0.7)
        * WEEKDAY_FILL[day.weekday()]
        * MONTH_FILL[day.month - 1]
        * (0.55 if is_holiday(day) else 1.0)
        * (1 + days_in / 3650)  # a slow upward trend
        * ctx.rng.lognormvariate(0, 0.18)
    )
    return max(0, round(capacity * fill + ctx.rng.gauss(0, 0.7)))


def _slots_of(session: ClinicSession) -> list[Slot]:
    slots = []
    queue_start = 1
    for starts_at, ends_at, seats in rules.split_into_slots(
        date=session.date,
        start_time=session.start_time,
        end_time=session.end_time,
        slot_minutes=session.slot_minutes,
        seats_per_slot=session.seats_per_slot,
    ):
        slots.append(
            Slot(
                session=session,
                starts_at=starts_at,
                ends_at=ends_at,
                capacity=seats,
                booked=0,
                queue_start=queue_start,
                created_at=session.created_at,
                updated_at=session.updated_at,
            )
        )
        queue_start += seats
    return slots


def history_plan_day(ctx: HistoryContext, day: datetime.date) -> DayPlan:
    """The sessions, slots, bookings, payments, refunds and waitlist of one past day."""
    plan = DayPlan()
    for session in _sessions_of(ctx, day):
        slots = _slots_of(session)
        demand = [_demand(ctx, session, slot.capacity) for slot in slots]
        held = [min(d, slot.capacity) for d, slot in zip(demand, slots, strict=True)]
        excess = sum(d - h for d, h in zip(demand, held, strict=True))
        waiting = min(round(excess * 0.6), 8)
        people = ctx.rng.sample(ctx.pool, min(len(ctx.pool), sum(held) + waiting))
        bookers, waiters = people[: sum(held)], people[sum(held) :]
        visits = []
        for slot, count in zip(slots, held, strict=True):
            for index in range(count):
                if not bookers:
                    break
                at, lead = booked_at(ctx, session, slot)
                visit = new_visit(
                    ctx, session, slot, bookers.pop(), at, slot.queue_start + index
                )
                visit.lead = lead
                paid(ctx, visit, at)
                visits.append(visit)
        entries = waitlist_of(ctx, session, waiters)
        freed = early_outcomes(ctx, session, visits)
        visits += promote(ctx, session, entries, freed)
        visit_outcomes(ctx, session, visits)
        for visit in visits:
            if visit.appointment.holds_seat:
                visit.appointment.slot.booked += 1
        plan.sessions.append(session)
        plan.slots += slots
        plan.visits += visits
        plan.waitlist += entries
    return plan
