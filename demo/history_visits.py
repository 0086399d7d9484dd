"""One session's bookings in a planned history: when they were made, paid, cancelled,
promoted from the waitlist, missed or seen (see demo/history.py for the story)."""

import datetime
import math

from accounts.models import PatientProfile
from appointments.models import Appointment, WaitlistEntry
from billing.models import Channel, PaymentOrder, Refund
from demo.history_context import (
    ORDER_PREFIX,
    HistoryContext,
    S,
    Visit,
    local_at,
    local_date,
    minutes,
)
from hospitals.models import Doctor
from scheduling.models import ClinicSession, Slot

# How many days ahead bookings are made (0: the same day), within a 7-day window.
LEAD_WEIGHTS = (0.2, 0.18, 0.14, 0.11, 0.09, 0.08, 0.08, 0.12)


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


def booked_at(
    ctx: HistoryContext, session: ClinicSession, slot: Slot
) -> tuple[datetime.datetime, int]:
    """When a booking was made (after the release, before the 30-minute cutoff) and how
    many days ahead of the visit day."""
    rng = ctx.rng
    lead = rng.choices(range(len(LEAD_WEIGHTS)), LEAD_WEIGHTS)[0]
    at = slot.starts_at - datetime.timedelta(days=lead, hours=rng.uniform(0.6, 12))
    at = max(at, session.release_at + minutes(rng.uniform(1, 90)))
    at = min(at, slot.starts_at - minutes(30))
    lead = (local_date(slot.starts_at) - local_date(at)).days
    return at, max(lead, 0)


def paid(ctx: HistoryContext, visit: Visit, at: datetime.datetime) -> None:
    appointment = visit.appointment
    number = appointment.order_no[len(ORDER_PREFIX) :]
    paid_at = at + minutes(ctx.rng.uniform(0.3, 6))
    channel = Channel.WECHAT if ctx.rng.random() < 0.72 else Channel.ALIPAY
    visit.order = PaymentOrder(
        appointment=appointment,
        hospital_id=appointment.hospital_id,
        user_id=appointment.user_id,
        channel=channel,
        out_trade_no=f"HP{number}",
        original_amount=appointment.fee,
        amount=appointment.fee,
        status=PaymentOrder.Status.PAID,
        transaction_id=f"HT{number}",
        paid_at=paid_at,
        is_open=None,
        created_at=at + minutes(0.2),
        updated_at=paid_at,
    )


def cancel(
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
    done = at + minutes(ctx.rng.uniform(1, 180))
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
        submitted_at=at + minutes(0.1),
        succeeded_at=done,
        created_at=at,
        updated_at=done,
    )


def new_visit(
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


def waitlist_of(
    ctx: HistoryContext, session: ClinicSession, profiles: list[PatientProfile]
) -> list[WaitlistEntry]:
    first = local_at(session.date, session.start_time)
    entries = []
    for profile in profiles:
        latest = first - datetime.timedelta(hours=3)
        at = session.release_at + minutes(ctx.rng.uniform(5, 60 * 24 * 5))
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


def early_outcomes(
    ctx: HistoryContext, session: ClinicSession, visits: list[Visit]
) -> list[tuple[datetime.datetime, Slot, int]]:
    """Stop-clinic, patients' cancellations and unpaid holds; returns the seats freed
    (when, which slot, the queue number given back)."""
    rng = ctx.rng
    freed = []
    stopped = session.status == ClinicSession.Status.STOPPED
    stop_at = local_at(session.date - datetime.timedelta(days=1), datetime.time(19))
    for visit in visits:
        appointment = visit.appointment
        slot = appointment.slot
        if stopped:
            at = max(stop_at, visit.order.paid_at + minutes(1))
            cancel(
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
            earliest = visit.order.paid_at + minutes(1)
            latest = slot.starts_at - datetime.timedelta(hours=2)
            at = earliest
            if latest > earliest:
                at += (latest - earliest) * rng.random()
            cancel(
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
            at = appointment.created_at + minutes(15)
            cancel(ctx, visit, at, Appointment.CancelledBy.TIMEOUT, None, "")
            freed.append((at, slot, appointment.queue_no))
    return freed


def promote(
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
        visit = new_visit(ctx, session, slot, entry.profile, booked_at, queue_no)
        visit.lead = (local_date(slot.starts_at) - local_date(booked_at)).days
        entry.status = WaitlistEntry.Status.PROMOTED
        entry.appointment = visit.appointment
        entry.updated_at = booked_at
        if ctx.rng.random() < 0.9:
            paid(ctx, visit, booked_at)
        else:
            cancel(
                ctx,
                visit,
                booked_at + minutes(15),
                Appointment.CancelledBy.TIMEOUT,
                None,
                "",
            )
        promoted.append(visit)
    first = local_at(session.date, session.start_time)
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


def visit_outcomes(
    ctx: HistoryContext, session: ClinicSession, visits: list[Visit]
) -> None:
    """Seen or missed, for the bookings still held on the day. The doctor sees the
    patients who came one after another, in queue order, each for a random time."""
    rng = ctx.rng
    kept = [v for v in visits if v.appointment.status == S.BOOKED]
    kept.sort(key=lambda v: v.appointment.queue_no)
    clock = local_at(session.date, session.start_time)
    for visit in kept:
        appointment = visit.appointment
        slot = appointment.slot
        profile = appointment.profile
        booked_on = local_date(appointment.created_at)
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
        checked_in = slot.starts_at - minutes(rng.uniform(3, 40))
        checked_in = max(checked_in, appointment.created_at + minutes(1))
        started = max(clock, slot.starts_at, checked_in + minutes(1))
        service = min(max(rng.expovariate(1 / mean), 1.5), 3 * mean)
        ended = started + minutes(service)
        clock = ended
        appointment.status = S.COMPLETED
        appointment.checked_in_at = checked_in
        appointment.call_count = 1
        appointment.last_called_at = started
        appointment.visit_started_at = started
        appointment.visit_ended_at = ended
        appointment.updated_at = ended
