"""The rush through the seat stock on the real engines (MariaDB and Redis, CI): racing
patients win exactly the seats there are, two writers decide every ticket once, and a
database-path booking racing the queue never overbooks the slot."""

from collections import Counter

import pytest
from django.utils import timezone

from appointments.models import Appointment, BookingTicket
from appointments.services.stock_booking import booking_try_stock
from appointments.services.ticket_writer import tickets_write
from appointments.stock.loading import sessions_stock_load
from common.errors import Conflict
from scheduling.models import Slot
from tests.appointments.booking_helpers import booking_job, outcome
from tests.appointments.factories import PatientProfileFactory
from tests.appointments.stock_helpers import free_seats, needs_redis, stock
from tests.race import needs_row_locks, run_at_once
from tests.scheduling.factories import SlotFactory

pytestmark = [
    pytest.mark.concurrency,
    pytest.mark.django_db(transaction=True),
    needs_row_locks,
    needs_redis,
]
__all__ = ["stock"]


def _try(profile, slot_id):
    def job():
        try:
            answer = booking_try_stock(
                user_id=profile.user_id,
                profile_id=profile.pk,
                slot_id=slot_id,
                now=timezone.now(),
            )
        except Conflict as exc:
            return exc.code
        return "queued" if answer is not None else "database"

    return job


def _drain():
    decided = 0
    while True:
        report = tickets_write(batch_size=7)
        if report.claimed == 0:
            return decided
        decided += report.claimed


def test_forty_patients_for_ten_seats_win_ten_tickets_and_two_writers_book_ten(stock):
    # given
    slot = SlotFactory(capacity=10)
    sessions_stock_load([slot.session_id])
    profiles = [PatientProfileFactory() for _ in range(40)]

    # when: the rush, then two writers at once
    results = run_at_once([_try(p, slot.pk) for p in profiles])
    decided = run_at_once([_drain, _drain])

    # then
    assert Counter(results) == {"queued": 10, "slot_full": 30}
    assert sum(decided) == 10
    slot.refresh_from_db()
    assert slot.booked == 10
    assert Appointment.objects.filter(slot=slot).count() == 10
    assert BookingTicket.objects.filter(status="booked").count() == 10
    assert free_seats(stock, slot.pk) == 0


def test_a_database_path_booking_racing_the_queue_never_overbooks(stock):
    # given: 5 seats loaded; a patient books through the database path (as in a
    # fallback) while 10 race through the stock, then the writer runs
    slot = SlotFactory(capacity=5)
    sessions_stock_load([slot.session_id])
    direct = PatientProfileFactory()
    profiles = [PatientProfileFactory() for _ in range(10)]

    results = run_at_once(
        [booking_job(direct, slot.pk)] + [_try(p, slot.pk) for p in profiles]
    )
    _drain()

    # then: at most 5 seats, every won ticket booked or refused as full
    slot.refresh_from_db()
    assert slot.booked == Appointment.objects.filter(slot=slot).count() <= 5
    assert outcome(results[0]) in ("booked", "slot_full")
    tickets = Counter(BookingTicket.objects.values_list("status", flat=True))
    assert tickets["booked"] + (outcome(results[0]) == "booked") == slot.booked
    assert set(tickets) <= {"booked", "refused"}
    assert slot.booked == 5
    assert Slot.objects.get(pk=slot.pk).booked <= slot.capacity
