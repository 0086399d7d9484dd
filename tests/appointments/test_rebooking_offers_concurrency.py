"""Rebooking offers racing each other on the real engine (MariaDB/MySQL; skipped on
SQLite): two stops competing for the same free seats, accept against lapse, two sweeps.
The conditional UPDATEs decide, not the test."""

import datetime

import pytest
from django.db.models import Count
from django.utils import timezone

from appointments.models import Appointment, RebookingOffer
from appointments.services.rebooking_offers import (
    rebooking_offer_accept,
    rebooking_offers_lapse,
)
from scheduling.models import Slot
from tests.appointments.booking_helpers import book
from tests.appointments.offer_helpers import ACTOR, later_slot, offer_after_stop, stop
from tests.hospitals.factories import DoctorFactory
from tests.race import needs_row_locks, run_at_once
from tests.scheduling.factories import SlotFactory

pytestmark = [
    pytest.mark.clock,
    pytest.mark.concurrency,
    pytest.mark.django_db(transaction=True),
    needs_row_locks,
]

OS = RebookingOffer.Status


def stopped_session_of(doctor, patients: int, day: int = 1) -> dict[int, bool]:
    slot = SlotFactory(
        capacity=patients,
        session__fee=0,
        session__doctor=doctor,
        session__date=timezone.localdate() + datetime.timedelta(days=day),
    )
    for _ in range(patients):
        book(slot)
    return stop(slot.session)


def seats_held_match(slots) -> None:
    """Each slot holds exactly its open offers plus the bookings holding a seat on it."""
    for slot in Slot.objects.filter(pk__in=[s.pk for s in slots]):
        offers = RebookingOffer.objects.filter(slot=slot, status=OS.OPEN).count()
        bookings = Appointment.objects.filter(slot=slot, holds_seat=True).count()
        assert slot.booked == offers + bookings
        assert slot.booked <= slot.capacity


def test_two_stops_competing_for_three_seats_make_three_offers_on_distinct_seats():
    # given: two sessions of one doctor stopped with 4 patients each; 3 later seats free
    first = DoctorFactory(fee=0)
    a = stopped_session_of(first, 4)
    b = stopped_session_of(first, 4, day=2)
    seats = [later_slot(first, capacity=1) for _ in range(3)]

    # when: both stops' offers are made at once
    results = run_at_once([lambda: offer_after_stop(a), lambda: offer_after_stop(b)])

    # then: exactly three offers, one per seat, never two on one seat
    assert all(isinstance(r, list) for r in results), results
    offers = list(RebookingOffer.objects.all())
    assert len(offers) == 3
    assert sorted(o.slot_id for o in offers) == sorted(s.pk for s in seats)
    assert not (
        RebookingOffer.objects.values("slot").annotate(n=Count("pk")).filter(n__gt=1)
    )
    seats_held_match(seats)


def test_accept_racing_the_lapse_either_books_or_returns_the_seat_never_both():
    for _ in range(4):
        doctor = DoctorFactory(fee=0)
        paid = stopped_session_of(doctor, 1)
        seat = later_slot(doctor, capacity=1)
        [offer] = offer_after_stop(paid)
        at = offer.expires_at - datetime.timedelta(microseconds=1)
        # the accept comes a moment before the end, the sweep a moment after
        sweep_at = offer.expires_at

        results = run_at_once(
            [
                lambda o=offer, t=at: rebooking_offer_accept(
                    actor=ACTOR, offer=o, now=t
                ),
                lambda t=sweep_at: rebooking_offers_lapse(now=t),
            ]
        )

        offer.refresh_from_db()
        seat.refresh_from_db()
        if offer.status == OS.ACCEPTED:
            assert isinstance(results[0], Appointment)
            assert results[1] == 0
            assert seat.booked == 1
        else:
            assert offer.status == OS.LAPSED
            assert results[1] == 1
            assert seat.booked == 0
        seats_held_match([seat])


def test_two_lapse_sweeps_return_each_seat_once():
    doctor = DoctorFactory(fee=0)
    paid = stopped_session_of(doctor, 6)
    seats = [later_slot(doctor, capacity=2) for _ in range(3)]
    offers = offer_after_stop(paid)
    assert len(offers) == 6
    after = timezone.now() + datetime.timedelta(hours=5)

    results = run_at_once([lambda: rebooking_offers_lapse(now=after)] * 2)

    assert sorted(results) in ([0, 6], [1, 5], [2, 4], [3, 3])
    assert sum(results) == 6
    for seat in seats:
        seat.refresh_from_db()
        assert seat.booked == 0
    assert RebookingOffer.objects.filter(status=OS.LAPSED).count() == 6
