"""Writing a planned history (demo/history.py) in bulk, and finding or removing one.

The rows carry their historical created/updated times. Django sets `auto_now` and
`auto_now_add` fields to the current time on every insert, bulk ones included, so while
a history is written those fields of its models are switched off and put back after
(`historical_timestamps`); this is the only place that does it, and only this operator
command calls it.
"""

import contextlib
import datetime
import random
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import ProtectedError

from appointments.models import Appointment, WaitlistEntry
from billing.models import PaymentLedgerEntry, PaymentOrder, Refund
from demo.history import history_plan_day
from demo.history_context import ORDER_PREFIX, DayPlan, HistoryContext
from demo.history_people import patient_pool
from hospitals.models import Hospital
from scheduling.models import BookingRule, ClinicSession, ScheduleTemplate, Slot

BATCH = 1000
TIMESTAMPED = (
    ClinicSession,
    Slot,
    Appointment,
    WaitlistEntry,
    PaymentOrder,
    Refund,
    PaymentLedgerEntry,
)


class HistoryError(Exception):
    """The history cannot be written as asked (the command shows the message)."""


@dataclass
class HistoryTally:
    sessions: int = 0
    slots: int = 0
    appointments: Counter = field(default_factory=Counter)
    payments: int = 0
    refunds: int = 0
    waitlist: Counter = field(default_factory=Counter)
    seconds: float = 0.0


@contextlib.contextmanager
def historical_timestamps() -> Iterator[None]:
    switched = []
    for model in TIMESTAMPED:
        for field_ in model._meta.concrete_fields:
            for flag in ("auto_now", "auto_now_add"):
                if getattr(field_, flag, False):
                    setattr(field_, flag, False)
                    switched.append((field_, flag))
    try:
        yield
    finally:
        for field_, flag in switched:
            setattr(field_, flag, True)


def history_sessions(hospital: Hospital, start: datetime.date, end: datetime.date):
    return ClinicSession.objects.filter(
        hospital=hospital, date__gte=start, date__lte=end
    )


def history_delete(hospital: Hospital, start: datetime.date, end: datetime.date) -> int:
    """Remove a seeded history in the range; refuses when the range holds bookings that
    seed_year did not write. Returns the sessions removed."""
    sessions = history_sessions(hospital, start, end)
    appointments = Appointment.objects.filter(session__in=sessions)
    foreign = appointments.exclude(order_no__startswith=ORDER_PREFIX).count()
    if foreign:
        raise HistoryError(
            f"{hospital.name} has {foreign} bookings between {start} and {end} that "
            "seed_year did not write; --replace removes only a seeded history."
        )
    orders = PaymentOrder.objects.filter(appointment__in=appointments)
    try:
        PaymentLedgerEntry.objects.filter(order__in=orders).delete()
        Refund.objects.filter(order__in=orders).delete()
        orders.delete()
        WaitlistEntry.objects.filter(session__in=sessions).delete()
        appointments.delete()
        Slot.objects.filter(session__in=sessions).delete()
        return sessions.delete()[1].get(ClinicSession._meta.label, 0)
    except ProtectedError as exc:
        raise HistoryError(
            f"rows that other records depend on are in the range: {exc.args[0]}"
        ) from None


def _write(plan: DayPlan, tally: HistoryTally) -> None:
    ClinicSession.objects.bulk_create(plan.sessions, batch_size=BATCH)
    Slot.objects.bulk_create(plan.slots, batch_size=BATCH)
    appointments = [visit.appointment for visit in plan.visits]
    Appointment.objects.bulk_create(appointments, batch_size=BATCH)
    WaitlistEntry.objects.bulk_create(plan.waitlist, batch_size=BATCH)
    orders = [visit.order for visit in plan.visits if visit.order is not None]
    PaymentOrder.objects.bulk_create(orders, batch_size=BATCH)
    refunds = [visit.refund for visit in plan.visits if visit.refund is not None]
    Refund.objects.bulk_create(refunds, batch_size=BATCH)
    ledger = [
        PaymentLedgerEntry(
            order=order,
            kind=PaymentLedgerEntry.Kind.PAYMENT,
            channel=order.channel,
            amount=order.amount,
            channel_reference=order.transaction_id,
            key=f"payment:{order.pk}",
            created_at=order.paid_at,
        )
        for order in orders
    ] + [
        PaymentLedgerEntry(
            order=refund.order,
            refund=refund,
            kind=PaymentLedgerEntry.Kind.REFUND,
            channel=refund.order.channel,
            amount=refund.amount,
            channel_reference=refund.channel_refund_id,
            key=f"refund:{refund.pk}",
            created_at=refund.succeeded_at,
        )
        for refund in refunds
    ]
    PaymentLedgerEntry.objects.bulk_create(ledger, batch_size=BATCH)
    tally.sessions += len(plan.sessions)
    tally.slots += len(plan.slots)
    tally.appointments.update(a.status for a in appointments)
    tally.payments += len(orders)
    tally.refunds += len(refunds)
    tally.waitlist.update(entry.status for entry in plan.waitlist)


def history_seed(
    *,
    hospital: Hospital,
    start: datetime.date,
    end: datetime.date,
    seed: int,
    patients: int,
    replace: bool = False,
    on_day: Callable[[datetime.date], None] | None = None,
) -> HistoryTally:
    """Write the history of `hospital` from `start` to `end` (inclusive), all or nothing."""
    began = time.monotonic()
    templates = list(
        ScheduleTemplate.objects.filter(
            doctor__hospital=hospital, is_active=True, doctor__is_active=True
        )
        .select_related("doctor__department", "room")
        .order_by("doctor_id", "weekday", "period")
    )
    if not templates:
        raise HistoryError(
            f"{hospital.name} has no weekly clinic templates to build sessions from "
            "(manage.py seed_demo creates them for the demo hospitals)."
        )
    rule = BookingRule.objects.filter(hospital=hospital).first()
    tally = HistoryTally()
    with transaction.atomic():
        existing = history_sessions(hospital, start, end).count()
        if existing and not replace:
            raise HistoryError(
                f"{hospital.name} already has {existing} clinic sessions between {start} "
                f"and {end}; run with --replace to write the history there again."
            )
        if existing:
            history_delete(hospital, start, end)
        rng = random.Random(seed)
        ctx = HistoryContext(
            rng=rng,
            hospital_id=hospital.pk,
            hospital_name=hospital.name,
            templates=templates,
            pool=patient_pool(
                hospital_id=hospital.pk, size=patients, seed=seed, year=end.year
            ),
            start=start,
            window_days=rule.window_days if rule else 7,
        )
        with historical_timestamps():
            day = start
            batch = DayPlan()
            while day <= end:
                plan = history_plan_day(ctx, day)
                batch.sessions += plan.sessions
                batch.slots += plan.slots
                batch.visits += plan.visits
                batch.waitlist += plan.waitlist
                if len(batch.visits) >= 5 * BATCH or day == end:
                    _write(batch, tally)
                    batch = DayPlan()
                if on_day is not None:
                    on_day(day)
                day += datetime.timedelta(days=1)
    tally.seconds = time.monotonic() - began
    return tally
