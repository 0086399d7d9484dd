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
import math
import random
import zoneinfo
from dataclasses import dataclass, field

import chinese_calendar
from django.conf import settings

from accounts.models import PatientProfile
from appointments.models import Appointment, WaitlistEntry
from billing.models import Channel, PaymentOrder, Refund
from hospitals.models import Doctor
from scheduling import rules
from scheduling.models import ClinicSession, ScheduleTemplate, Slot

S = Appointment.Status
ORDER_PREFIX = "HY"  # every seeded appointment's order number starts with it

TITLE_FILL = {
    Doctor.Title.CHIEF: 1.25,
    Doctor.Title.ASSOCIATE_CHIEF: 0.95,
    Doctor.Title.ATTENDING: 0.75,
    Doctor.Title.RESIDENT: 0.55,
}
WEEKDAY_FILL = (1.18, 1.05, 1.0, 0.95, 0.9, 1.1, 0.8)
MONTH_FILL = (1.12, 0.78, 1.0, 0.97, 0.95, 0.98, 1.04, 1.06, 0.96, 0.88, 1.03, 1.14)
# How many days ahead bookings are made (0: the same day), within a 7-day window.
LEAD_WEIGHTS = (0.2, 0.18, 0.14, 0.11, 0.09, 0.08, 0.08, 0.12)


def is_holiday(day: datetime.date) -> bool:
    """A Chinese public holiday (not an ordinary weekend); outside the package's years: none."""
    try:
        on_holiday, name = chinese_calendar.get_holiday_detail(day)
    except NotImplementedError:
        return False
    return on_holiday and name is not None


@dataclass
class Visit:
    """One appointment and the money and waitlist rows that go with it."""

    appointment: Appointment
    lead: int = 0  # days booked ahead of the visit day
    order: PaymentOrder | None = None
    refund: Refund | None = None


@dataclass
class DayPlan:
    sessions: list[ClinicSession] = field(default_factory=list)
    slots: list[Slot] = field(default_factory=list)
    visits: list[Visit] = field(default_factory=list)
    waitlist: list[WaitlistEntry] = field(default_factory=list)


@dataclass
class HistoryContext:
    """What planning keeps from one day to the next."""

    rng: random.Random
    hospital_id: int
    hospital_name: str
    templates: list[ScheduleTemplate]
    pool: list[PatientProfile]
    start: datetime.date
    window_days: int = 7
    trait: dict[int, float] = field(default_factory=dict)
    # Each patient's visits so far: (visit day, missed), in day order.
    past: dict[int, list[tuple[datetime.date, bool]]] = field(default_factory=dict)
    numbers: int = 0

    def __post_init__(self) -> None:
        for profile in self.pool:
            self.trait[profile.pk] = self.rng.gauss(0, 0.9)

    def next_number(self, day: datetime.date) -> str:
        self.numbers += 1
        return f"{ORDER_PREFIX}{self.hospital_id}{day:%y%m%d}{self.numbers:07d}"


def _local(day: datetime.date, time: datetime.time) -> datetime.datetime:
    return rules.local_datetime(day, time)


def _minutes(value: float) -> datetime.timedelta:
    return datetime.timedelta(minutes=value)


def noshow_probability(
    ctx: HistoryContext, profile: PatientProfile, *, lead: int, booked_on, day, doctor
) -> float:
    earlier = ctx.past.get(profile.pk, [])
    known = [missed for visit_day, missed in earlier if visit_day < booked_on]
    age = day.year - profile.birth_year
    score = (
        -3.25
        + 0.17 * lead
        + 0.8 * min(sum(known), 3)
        - 0.06 * min(len(known), 8)
        + ctx.trait[profile.pk]
        + (0.45 if 18 <= age < 35 else 0.0)
        + (0.3 if day.weekday() == 0 else 0.0)
        - (0.35 if doctor.title == Doctor.Title.CHIEF else 0.0)
    )
    return 1 / (1 + math.exp(-score))


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
        release = _local(
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
            else _local(day, template.end_time) + _minutes(30),
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


def _booked_at(
    ctx: HistoryContext, session: ClinicSession, slot: Slot
) -> tuple[datetime.datetime, int]:
    """When a booking was made (after the release, before the 30-minute cutoff) and how
    many days ahead of the visit day."""
    rng = ctx.rng
    lead = rng.choices(range(len(LEAD_WEIGHTS)), LEAD_WEIGHTS)[0]
    at = slot.starts_at - datetime.timedelta(days=lead, hours=rng.uniform(0.6, 12))
    at = max(at, session.release_at + _minutes(rng.uniform(1, 90)))
    at = min(at, slot.starts_at - _minutes(30))
    lead = (_local_date(slot.starts_at) - _local_date(at)).days
    return at, max(lead, 0)


def _local_date(moment: datetime.datetime) -> datetime.date:
    return moment.astimezone(zoneinfo.ZoneInfo(settings.TIME_ZONE)).date()


def _paid(ctx: HistoryContext, visit: Visit, at: datetime.datetime) -> None:
    appointment = visit.appointment
    number = appointment.order_no[len(ORDER_PREFIX) :]
    paid_at = at + _minutes(ctx.rng.uniform(0.3, 6))
    channel = Channel.WECHAT if ctx.rng.random() < 0.72 else Channel.ALIPAY
    visit.order = PaymentOrder(
        appointment=appointment,
        user_id=appointment.user_id,
        channel=channel,
        out_trade_no=f"HP{number}",
        original_amount=appointment.fee,
        amount=appointment.fee,
        status=PaymentOrder.Status.PAID,
        transaction_id=f"HT{number}",
        paid_at=paid_at,
        is_open=None,
        created_at=at + _minutes(0.2),
        updated_at=paid_at,
    )


def _cancel(
    ctx: HistoryContext,
    visit: Visit,
    at: datetime.datetime,
    by: str,
    kind: str | None,
    reason: str,
) -> None:
    """Cancel at `at`; a paid booking is refunded in full (the channel confirms soon)."""
    appointment = visit.appointment
    appointment.status = S.CANCELLED
    appointment.holds_seat = None
    appointment.cancelled_by = by
    appointment.cancel_reason = reason
    appointment.cancelled_at = at
    appointment.updated_at = at
    order = visit.order
    if order is None or kind is None:
        return
    done = at + _minutes(ctx.rng.uniform(1, 180))
    order.status = PaymentOrder.Status.REFUNDED
    order.refunded_amount = order.amount
    order.updated_at = done
    visit.refund = Refund(
        order=order,
        kind=kind,
        reason=reason,
        out_refund_no=f"HR{appointment.order_no[len(ORDER_PREFIX) :]}",
        amount=order.amount,
        status=Refund.Status.SUCCEEDED,
        channel_refund_id=f"HC{appointment.order_no[len(ORDER_PREFIX) :]}",
        attempts=1,
        submitted_at=at + _minutes(0.1),
        succeeded_at=done,
        created_at=at,
        updated_at=done,
    )


def _new_visit(
    ctx: HistoryContext,
    session: ClinicSession,
    slot: Slot,
    profile: PatientProfile,
    at: datetime.datetime,
    queue_no: int,
) -> Visit:
    appointment = Appointment(
        order_no=ctx.next_number(session.date),
        user_id=profile.user_id,
        profile=profile,
        slot=slot,
        session=session,
        doctor=session.doctor,
        hospital_id=ctx.hospital_id,
        status=S.BOOKED,
        queue_no=queue_no,
        fee=session.fee,
        visit_starts_at=slot.starts_at,
        visit_ends_at=slot.ends_at,
        place=session.place,
        holds_seat=True,
        created_at=at,
        updated_at=at,
    )
    return Visit(appointment)


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


def _waitlist_of(
    ctx: HistoryContext, session: ClinicSession, profiles: list[PatientProfile]
) -> list[WaitlistEntry]:
    first = _local(session.date, session.start_time)
    entries = []
    for profile in profiles:
        latest = first - datetime.timedelta(hours=3)
        at = session.release_at + _minutes(ctx.rng.uniform(5, 60 * 24 * 5))
        at = min(at, latest)
        entries.append(
            WaitlistEntry(
                user_id=profile.user_id,
                profile=profile,
                session=session,
                status=WaitlistEntry.Status.WAITING,
                priority=0,
                is_waiting=None,  # none is still waiting: the day is past
                created_at=at,
                updated_at=at,
            )
        )
    entries.sort(key=lambda entry: entry.created_at)
    return entries


def _early_outcomes(
    ctx: HistoryContext, session: ClinicSession, visits: list[Visit]
) -> list[tuple[datetime.datetime, Slot, int]]:
    """Stop-clinic, patients' cancellations and unpaid holds; returns the seats freed
    (when, which slot, the queue number given back)."""
    rng = ctx.rng
    freed = []
    stopped = session.status == ClinicSession.Status.STOPPED
    stop_at = _local(session.date - datetime.timedelta(days=1), datetime.time(19))
    for visit in visits:
        appointment = visit.appointment
        slot = appointment.slot
        if stopped:
            at = max(stop_at, visit.order.paid_at + _minutes(1))
            _cancel(
                ctx,
                visit,
                at,
                Appointment.CancelledBy.STOP_CLINIC,
                Refund.Kind.STOP_CLINIC,
                session.stop_reason,
            )
            continue
        chance = rng.random()
        cancel_share = 0.025 + 0.01 * visit.lead
        if chance < cancel_share:
            earliest = visit.order.paid_at + _minutes(1)
            latest = slot.starts_at - datetime.timedelta(hours=2)
            at = earliest
            if latest > earliest:
                at += (latest - earliest) * rng.random()
            _cancel(
                ctx,
                visit,
                at,
                Appointment.CancelledBy.PATIENT,
                Refund.Kind.CANCEL,
                "行程有变",
            )
            freed.append((at, slot, appointment.queue_no))
        elif chance < cancel_share + 0.012:  # never paid: the hold expired
            visit.order = None
            at = appointment.created_at + _minutes(15)
            _cancel(ctx, visit, at, Appointment.CancelledBy.TIMEOUT, None, "")
            freed.append((at, slot, appointment.queue_no))
    return freed


def _promote(
    ctx: HistoryContext,
    session: ClinicSession,
    entries: list[WaitlistEntry],
    freed: list[tuple[datetime.datetime, Slot, int]],
) -> list[Visit]:
    """Give each freed seat to the first entry still waiting at that moment."""
    promoted = []
    for at, slot, queue_no in sorted(freed, key=lambda item: item[0]):
        if at > slot.starts_at - datetime.timedelta(hours=1):
            continue  # too late to offer
        entry = next(
            (
                e
                for e in entries
                if e.status == WaitlistEntry.Status.WAITING and e.created_at < at
            ),
            None,
        )
        if entry is None:
            continue
        booked_at = at + datetime.timedelta(seconds=1)
        visit = _new_visit(ctx, session, slot, entry.profile, booked_at, queue_no)
        visit.lead = (_local_date(slot.starts_at) - _local_date(booked_at)).days
        entry.status = WaitlistEntry.Status.PROMOTED
        entry.appointment = visit.appointment
        entry.updated_at = booked_at
        if ctx.rng.random() < 0.9:
            _paid(ctx, visit, booked_at)
        else:
            _cancel(
                ctx,
                visit,
                booked_at + _minutes(15),
                Appointment.CancelledBy.TIMEOUT,
                None,
                "",
            )
        promoted.append(visit)
    first = _local(session.date, session.start_time)
    for entry in entries:
        if entry.status != WaitlistEntry.Status.WAITING:
            continue
        if ctx.rng.random() < 0.7:
            entry.status, entry.updated_at = WaitlistEntry.Status.CLOSED, first
        else:
            entry.status = WaitlistEntry.Status.LEFT
            entry.updated_at = (
                entry.created_at + (first - entry.created_at) * ctx.rng.random()
            )
    return promoted


def _visit_outcomes(
    ctx: HistoryContext, session: ClinicSession, visits: list[Visit]
) -> None:
    """Seen or missed, for the bookings still held on the day. The doctor sees the
    patients who came one after another, in queue order, each for a random time."""
    rng = ctx.rng
    kept = [v for v in visits if v.appointment.status == S.BOOKED]
    kept.sort(key=lambda v: v.appointment.queue_no)
    clock = _local(session.date, session.start_time)
    for visit in kept:
        appointment = visit.appointment
        slot = appointment.slot
        profile = appointment.profile
        booked_on = _local_date(appointment.created_at)
        chance = noshow_probability(
            ctx,
            profile,
            lead=visit.lead,
            booked_on=booked_on,
            day=session.date,
            doctor=session.doctor,
        )
        missed = rng.random() < chance
        ctx.past.setdefault(profile.pk, []).append((session.date, missed))
        if missed:
            appointment.status = S.NO_SHOW
            appointment.updated_at = session.no_shows_marked_at
            continue
        mean = session.slot_minutes / slot.capacity * 0.85
        checked_in = slot.starts_at - _minutes(rng.uniform(3, 40))
        checked_in = max(checked_in, appointment.created_at + _minutes(1))
        started = max(clock, slot.starts_at, checked_in + _minutes(1))
        service = min(max(rng.expovariate(1 / mean), 1.5), 3 * mean)
        ended = started + _minutes(service)
        clock = ended
        appointment.status = S.COMPLETED
        appointment.checked_in_at = checked_in
        appointment.call_count = 1
        appointment.last_called_at = started
        appointment.visit_started_at = started
        appointment.visit_ended_at = ended
        appointment.updated_at = ended


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
                at, lead = _booked_at(ctx, session, slot)
                visit = _new_visit(
                    ctx, session, slot, bookers.pop(), at, slot.queue_start + index
                )
                visit.lead = lead
                _paid(ctx, visit, at)
                visits.append(visit)
        entries = _waitlist_of(ctx, session, waiters)
        freed = _early_outcomes(ctx, session, visits)
        visits += _promote(ctx, session, entries, freed)
        _visit_outcomes(ctx, session, visits)
        for visit in visits:
            if visit.appointment.holds_seat:
                visit.appointment.slot.booked += 1
        plan.sessions.append(session)
        plan.slots += slots
        plan.visits += visits
        plan.waitlist += entries
    return plan
