"""The writer: queued booking tickets become appointments, in batches.

`tickets_write` claims up to a batch of queued tickets (FOR UPDATE SKIP LOCKED, so two
writers never claim one ticket) and decides every one of them in one transaction, with the
database path's rules and the same lock order (appointments/services/booking.py): the
slots' conditional UPDATE (one per slot, for all its tickets; the final guard against
overbooking), then the sessions' state, the doctors' daily caps (doctor rows), the accounts
and the persons (user rows, the persons' anchor rows) for the caps, and only then the
inserts. Each ticket becomes an appointment or a refusal with the database path's code and
message; the ticket row changes in the same transaction, so a writer killed mid-batch leaves
every ticket of the batch queued for the next one, and a ticket is decided once.

When the batch meets something the batched checks did not foresee (a unique key hit by a
concurrent booking of the database path), the batch is rolled back and its tickets are
decided one by one, each in a savepoint through the database path's own functions.

After commit: each refused ticket's seat and profile mark go back to the stock at once, and
each decision is pushed to the request waiting on it (appointments.services.stock_booking).
"""

import datetime
import json
import logging
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import F, Min
from django.utils import timezone, translation

from accounts.models import PatientProfile, User
from appointments.errors import ErrorCode
from appointments.events import AppointmentsBooked
from appointments.models import Appointment, BookingTicket
from appointments.services import refusals
from appointments.services.booking import (
    booking_complete_on_taken_seat,
    order_no_new,
    seat_take,
)
from appointments.services.notify import appointment_notify
from appointments.services.seat_rules import already_booked_check, slot_check_bookable
from appointments.services.stock_booking import stock_refusal
from appointments.stock import keys
from appointments.stock.client import ERRORS, stock_client, stock_enabled, stock_failed
from appointments.stock.deltas import stock_give_back_now
from common.errors import DomainError
from common.events import publish
from common.models import OperationLog
from common.services import Actor
from hospitals.models import Doctor
from scheduling.models import BookingRule, ClinicSession, Slot
from scheduling.rules import rule_for_hospital_id
from scheduling.services import availability_changed

logger = logging.getLogger(__name__)

S = Appointment.Status
T = BookingTicket.Status
DEADLOCK_RETRIES = 3


@dataclass
class BatchReport:
    claimed: int = 0
    booked: int = 0
    refused: int = 0
    one_by_one: bool = False
    refusals: dict[str, int] = field(default_factory=dict)


class _Batch:
    """One batch's tickets and what is decided about them, inside the transaction."""

    def __init__(self, tickets: list[BookingTicket], now: datetime.datetime) -> None:
        self.tickets = tickets
        self.now = now
        self.refused: dict[int, DomainError] = {}
        self.seated: set[int] = set()  # tickets whose seat this batch took in the DB

    def live(self) -> list[BookingTicket]:
        return [t for t in self.tickets if t.pk not in self.refused]

    def refuse(self, ticket: BookingTicket, error: DomainError) -> None:
        self.refused.setdefault(ticket.pk, error)


def tickets_write(
    *, batch_size: int | None = None, now: datetime.datetime | None = None
) -> BatchReport:
    """Decide up to `batch_size` queued tickets (settings.BOOKING_WRITER_BATCH). Returns
    what was done; claimed 0 means the queue was empty (or every ticket claimed by another
    writer)."""
    batch_size = batch_size or settings.BOOKING_WRITER_BATCH
    for attempt in range(DEADLOCK_RETRIES):
        try:
            return _write_batch(batch_size=batch_size, now=now, one_by_one=False)
        except IntegrityError as exc:
            logger.warning(
                "ticket writer: batch hit a unique key (%s); one by one", exc
            )
            return _write_batch(batch_size=batch_size, now=now, one_by_one=True)
        except OperationalError as exc:  # a deadlock with the database path: again
            if attempt == DEADLOCK_RETRIES - 1:
                raise
            logger.warning("ticket writer: %s; retrying the batch", exc)
    raise AssertionError("unreachable")


def _write_batch(
    *, batch_size: int, now: datetime.datetime | None, one_by_one: bool
) -> BatchReport:
    with translation.override(settings.LANGUAGE_CODE), transaction.atomic():
        tickets = list(
            BookingTicket.objects.select_for_update(skip_locked=True)
            .filter(status=T.QUEUED)
            .order_by("pk")[:batch_size]
        )
        if not tickets:
            return BatchReport()
        batch = _Batch(tickets, now or timezone.now())
        if one_by_one:
            appointments = _decide_one_by_one(batch)
        else:
            appointments = _decide_batched(batch)
        report = _record(batch, appointments)
        report.one_by_one = one_by_one
        return report


# -- the batched way ----------------------------------------------------------------


def _decide_batched(batch: _Batch) -> dict[int, Appointment]:
    tickets = batch.tickets
    profiles = PatientProfile.objects.in_bulk({t.profile_id for t in tickets})
    active_users = set(
        User.objects.filter(
            pk__in={t.user_id for t in tickets}, is_active=True
        ).values_list("pk", flat=True)
    )
    slots = Slot.objects.select_related("session__doctor", "session__hospital").in_bulk(
        {t.slot_id for t in tickets}
    )
    rules = {
        rule.hospital_id: rule
        for rule in BookingRule.objects.filter(
            hospital_id__in={s.session.hospital_id for s in slots.values()}
        )
    }

    def rule_of(slot: Slot) -> BookingRule:
        hospital_id = slot.session.hospital_id
        return rules.get(hospital_id) or BookingRule(hospital_id=hospital_id)

    # The checks that only read.
    for ticket in tickets:
        profile = profiles.get(ticket.profile_id)
        if (
            profile is None
            or profile.user_id != ticket.user_id
            or profile.is_active is not True
            or ticket.user_id not in active_users
        ):
            batch.refuse(ticket, stock_refusal("no_profile"))
            continue
        slot = slots[ticket.slot_id]
        try:
            slot_check_bookable(
                slot=slot, session=slot.session, rule=rule_of(slot), now=batch.now
            )
        except DomainError as error:
            batch.refuse(ticket, error)
    live = batch.live()
    holding = set(
        Appointment.objects.filter(
            holds_seat=True,
            profile_id__in={t.profile_id for t in live},
            session_id__in={t.session_id for t in live},
        ).values_list("profile_id", "session_id")
    )
    for ticket in live:
        pair = (ticket.profile_id, ticket.session_id)
        if pair in holding:
            batch.refuse(ticket, stock_refusal("booked"))
        holding.add(pair)  # a second ticket of the pair in this batch is refused too

    _seats_take(batch, slots)
    _sessions_open_check(batch)
    _doctor_caps_check(batch, slots)
    _person_caps_check(batch, profiles, slots, rule_of)
    _seats_give_back_refused(batch)
    return _appointments_insert(batch, profiles, slots, rule_of)


def _seats_take(batch: _Batch, slots: dict[int, Slot]) -> None:
    """One conditional UPDATE per slot, in slot order: the final guard. A slot with fewer
    seats than tickets seats the earliest tickets and refuses the rest."""
    by_slot: dict[int, list[BookingTicket]] = defaultdict(list)
    for ticket in batch.live():
        by_slot[ticket.slot_id].append(ticket)
    for slot_id in sorted(by_slot):
        wanted = by_slot[slot_id]
        taken = len(wanted)
        if not Slot.objects.filter(
            pk=slot_id, booked__lte=F("capacity") - taken
        ).update(booked=F("booked") + taken):
            capacity, booked = (
                Slot.objects.select_for_update()
                .filter(pk=slot_id)
                .values_list("capacity", "booked")
                .get()
            )
            taken = max(0, min(taken, capacity - booked))
            if taken:
                Slot.objects.filter(pk=slot_id).update(booked=F("booked") + taken)
        for index, ticket in enumerate(wanted):
            if index < taken:
                batch.seated.add(ticket.pk)
            else:
                batch.refuse(ticket, stock_refusal("full"))
        slots[slot_id].booked += taken


def _sessions_open_check(batch: _Batch) -> None:
    """Stop-clinic locks the slots before it changes the status; holding them now, this
    read sees any stop that committed."""
    live = batch.live()
    open_ids = set(
        ClinicSession.objects.filter(
            pk__in={t.session_id for t in live}, status=ClinicSession.Status.OPEN
        ).values_list("pk", flat=True)
    )
    for ticket in live:
        if ticket.session_id not in open_ids:
            batch.refuse(ticket, stock_refusal("stopped"))


def _doctor_caps_check(batch: _Batch, slots: dict[int, Slot]) -> None:
    """The doctors' daily caps (appointments/services/doctor_cap.py), each doctor's row
    locked in id order, counted once for the batch."""
    live = [
        t
        for t in batch.live()
        if slots[t.slot_id].session.doctor.max_patients_per_day is not None
    ]
    doctor_ids = sorted({slots[t.slot_id].session.doctor_id for t in live})
    if not doctor_ids:
        return
    caps = dict(
        Doctor.objects.select_for_update()
        .filter(pk__in=doctor_ids)
        .order_by("pk")
        .values_list("pk", "max_patients_per_day")
    )
    dates = {slots[t.slot_id].session.date for t in live}
    taken: dict[tuple[int, datetime.date], int] = defaultdict(int)
    for doctor_id, date in Appointment.objects.filter(
        doctor_id__in=doctor_ids, session__date__in=dates, holds_seat=True
    ).values_list("doctor_id", "session__date"):
        taken[(doctor_id, date)] += 1
    for ticket in live:
        session = slots[ticket.slot_id].session
        cap = caps.get(session.doctor_id)
        if cap is None:
            continue
        key = (session.doctor_id, session.date)
        if taken[key] >= cap:
            batch.refuse(ticket, refusals.doctor_day_full(cap))
        else:
            taken[key] += 1


def _person_caps_check(batch: _Batch, profiles, slots, rule_of) -> None:
    """The caps per account-and-person (seat_rules.caps_check), for the batch at once: the
    accounts' rows, then the persons' anchor rows, locked in order; each person's upcoming
    bookings at the hospital read once and counted with this batch's own as it goes."""
    live = batch.live()
    if not live:
        return
    User.objects.select_for_update().filter(
        pk__in=sorted({t.user_id for t in live})
    ).order_by("pk").values_list("pk").count()
    hashes = sorted({profiles[t.profile_id].id_card_hash for t in live})
    anchors = (
        PatientProfile.objects.filter(id_card_hash__in=hashes)
        .values("id_card_hash")
        .annotate(anchor=Min("pk"))
        .values_list("anchor", flat=True)
    )
    PatientProfile.objects.select_for_update().filter(pk__in=sorted(anchors)).order_by(
        "pk"
    ).values_list("pk").count()
    week = datetime.timedelta(days=6)
    days = [slots[t.slot_id].session.date for t in live]
    dates: dict[tuple[str, int], list[datetime.date]] = defaultdict(list)
    for card, hospital_id, day in Appointment.objects.filter(
        profile__id_card_hash__in=hashes,
        hospital_id__in={slots[t.slot_id].session.hospital_id for t in live},
        status__in=Appointment.UPCOMING,
        session__date__range=(min(days) - week, max(days) + week),
    ).values_list("profile__id_card_hash", "hospital_id", "session__date"):
        dates[(card, hospital_id)].append(day)
    for ticket in live:
        session = slots[ticket.slot_id].session
        rule = rule_of(slots[ticket.slot_id])
        person = dates[(profiles[ticket.profile_id].id_card_hash, session.hospital_id)]
        error = refusals.caps_refusal(dates=person, day=session.date, rule=rule)
        if error is not None:
            batch.refuse(ticket, error)
        else:
            person.append(session.date)


def _seats_give_back_refused(batch: _Batch) -> None:
    """Seats this batch took for tickets refused afterwards go back, in slot order."""
    back: dict[int, int] = defaultdict(int)
    for ticket in batch.tickets:
        if ticket.pk in batch.refused and ticket.pk in batch.seated:
            back[ticket.slot_id] += 1
            batch.seated.discard(ticket.pk)
    for slot_id in sorted(back):
        Slot.objects.filter(pk=slot_id).update(booked=F("booked") - back[slot_id])


def _appointments_insert(
    batch: _Batch, profiles, slots, rule_of
) -> dict[int, Appointment]:
    """The accepted tickets' appointments, queue numbers the lowest free from each slot's
    first, inserted at once; their operation log, events and notices."""
    live = batch.live()
    if not live:
        return {}
    used: dict[int, set[int]] = defaultdict(set)
    for session_id, number in Appointment.objects.filter(
        session_id__in={t.session_id for t in live}, holds_seat=True
    ).values_list("session_id", "queue_no"):
        used[session_id].add(number)
    appointments: dict[int, Appointment] = {}
    for ticket in live:
        slot = slots[ticket.slot_id]
        session = slot.session
        number = slot.queue_start
        while number in used[session.pk]:
            number += 1
        used[session.pk].add(number)
        fee = session.fee
        appointments[ticket.pk] = Appointment(
            order_no=order_no_new(batch.now),
            user_id=ticket.user_id,
            profile_id=ticket.profile_id,
            slot_id=slot.pk,
            session_id=session.pk,
            doctor_id=session.doctor_id,
            hospital_id=session.hospital_id,
            status=S.PENDING_PAYMENT if fee > 0 else S.BOOKED,
            fee=fee,
            queue_no=number,
            visit_starts_at=slot.starts_at,
            visit_ends_at=slot.ends_at,
            place=session.place,
            hold_expires_at=(
                batch.now + datetime.timedelta(minutes=rule_of(slot).hold_minutes)
                if fee > 0
                else None
            ),
        )
    created = Appointment.objects.bulk_create(list(appointments.values()))
    if any(a.pk is None for a in created):  # an engine without RETURNING
        by_order = dict(
            Appointment.objects.filter(
                order_no__in=[a.order_no for a in created]
            ).values_list("order_no", "pk")
        )
        for appointment in created:
            appointment.pk = appointment.id = by_order[appointment.order_no]
    OperationLog.objects.bulk_create(
        OperationLog(
            actor_id=a.user_id,
            action="appointment.create",
            object_type=Appointment._meta.label_lower,
            object_id=str(a.pk),
            summary=f"{a.status} slot={a.slot_id} profile={a.profile_id} "
            f"queue={a.queue_no} ticket",
        )
        for a in created
    )
    publish(AppointmentsBooked(appointment_ids=tuple(a.pk for a in created)))
    for appointment in created:
        if appointment.status == S.BOOKED:  # a free slot: confirmed at once
            appointment_notify(appointment=appointment, event="booked")
    for doctor_id in {a.doctor_id for a in created}:
        transaction.on_commit(
            lambda doctor_id=doctor_id: availability_changed(doctor_id=doctor_id)
        )
    return appointments


# -- one by one ---------------------------------------------------------------------


def _decide_one_by_one(batch: _Batch) -> dict[int, Appointment]:
    """Each ticket through the database path's functions, in a savepoint of its own."""
    appointments: dict[int, Appointment] = {}
    for ticket in batch.tickets:
        try:
            with transaction.atomic():
                appointments[ticket.pk] = _decide_one(ticket, batch.now)
        except DomainError as error:
            batch.refuse(ticket, error)
    return appointments


def _decide_one(ticket: BookingTicket, now: datetime.datetime) -> Appointment:
    profile = PatientProfile.objects.filter(
        pk=ticket.profile_id, user_id=ticket.user_id, is_active=True
    ).first()
    user = User.objects.filter(pk=ticket.user_id, is_active=True).first()
    if profile is None or user is None:
        raise stock_refusal("no_profile")
    slot = Slot.objects.select_related("session__doctor", "session__hospital").get(
        pk=ticket.slot_id
    )
    rule = rule_for_hospital_id(slot.session.hospital_id)
    slot_check_bookable(slot=slot, session=slot.session, rule=rule, now=now)
    already_booked_check(profile=profile, session=slot.session)
    if not seat_take(slot_id=slot.pk, from_ticket=True):
        raise stock_refusal("full")
    return booking_complete_on_taken_seat(
        actor=Actor(user=user, ip=None),
        user=user,
        profile=profile,
        slot=slot,
        rule=rule,
        now=now,
        early=False,
    )


# -- recording ------------------------------------------------------------------------


def _record(batch: _Batch, appointments: dict[int, Appointment]) -> BatchReport:
    """The tickets' decisions, in the batch's transaction; the stock and the waiting
    requests told after commit."""
    report = BatchReport(claimed=len(batch.tickets))
    results: dict[int, dict] = {}
    for ticket in batch.tickets:
        ticket.decided_at = batch.now
        appointment = appointments.get(ticket.pk)
        if appointment is not None and ticket.pk not in batch.refused:
            ticket.status = T.BOOKED
            ticket.appointment_id = appointment.pk
            report.booked += 1
            results[ticket.pk] = {"status": T.BOOKED, "appointment_id": appointment.pk}
        else:
            error = batch.refused[ticket.pk]
            ticket.status = T.REFUSED
            ticket.error_code = str(error.code)[:64]
            ticket.error_message = str(error.message)[:255]
            report.refused += 1
            report.refusals[ticket.error_code] = (
                report.refusals.get(ticket.error_code, 0) + 1
            )
            results[ticket.pk] = {
                "status": T.REFUSED,
                "code": ticket.error_code,
                "message": ticket.error_message,
            }
    _tickets_save(batch.tickets)
    refused = [t for t in batch.tickets if t.status == T.REFUSED]
    transaction.on_commit(lambda: _tell(refused, results))
    return report


def _tickets_save(tickets: list[BookingTicket]) -> None:
    """Each ticket's decision: one prepared UPDATE per ticket, sent as one batch
    (bulk_update's CASE expressions cost more in Python than the writes themselves)."""
    meta = BookingTicket._meta
    quote = connection.ops.quote_name
    columns = ("status", "appointment", "error_code", "error_message", "decided_at")
    fields = [meta.get_field(name) for name in columns]
    sql = "UPDATE {table} SET {sets} WHERE {pk} = %s".format(
        table=quote(meta.db_table),
        sets=", ".join(f"{quote(f.column)} = %s" for f in fields),
        pk=quote(meta.pk.column),
    )
    rows = [
        [f.get_db_prep_save(getattr(t, f.attname), connection) for f in fields] + [t.pk]
        for t in tickets
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def _tell(refused: list[BookingTicket], results: dict[int, dict]) -> None:
    if not stock_enabled():
        return
    try:
        for ticket in refused:
            # A profile refused as booked holds its seat in the session: it stays marked.
            holds = ticket.error_code == ErrorCode.ALREADY_BOOKED
            stock_give_back_now(
                ticket.slot_id,
                ticket.session_id,
                None if holds else ticket.profile_id,
                1,
            )
        pipe = stock_client().pipeline(transaction=False)
        for ticket_id, result in results.items():
            key = keys.result_key(ticket_id)
            pipe.rpush(key, json.dumps(result))
            pipe.expire(key, keys.RESULT_SECONDS)
        pipe.execute()
    except ERRORS as exc:  # drift for the reconciler; the waiting requests answer 202
        stock_failed(exc)
