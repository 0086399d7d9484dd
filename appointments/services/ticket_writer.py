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
from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, OperationalError, connection, transaction
from django.utils import timezone, translation

from accounts.models import PatientProfile, User
from appointments.errors import ErrorCode
from appointments.metrics import tickets_decided_counted
from appointments.models import Appointment, BookingTicket
from appointments.services.booking import (
    booking_complete_on_taken_seat,
    seat_take,
)
from appointments.services.seat_rules import already_booked_check, slot_check_bookable
from appointments.services.stock_booking import stock_refusal
from appointments.services.ticket_batch import Batch, decide_batched
from appointments.stock import keys
from appointments.stock.client import ERRORS, stock_client, stock_enabled, stock_failed
from appointments.stock.deltas import stock_give_back_now
from common.errors import DomainError
from common.services import Actor
from scheduling.models import Slot
from scheduling.rules import rule_for_hospital_id

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
        batch = Batch(tickets, now or timezone.now())
        if one_by_one:
            appointments = _decide_one_by_one(batch)
        else:
            appointments = decide_batched(batch)
        report = _record(batch, appointments)
        report.one_by_one = one_by_one
    tickets_decided_counted(booked=report.booked, refused=report.refused)
    return report


# -- one by one ---------------------------------------------------------------------


def _decide_one_by_one(batch: Batch) -> dict[int, Appointment]:
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


def _record(batch: Batch, appointments: dict[int, Appointment]) -> BatchReport:
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
