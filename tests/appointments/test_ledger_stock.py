"""The no-show ledger on the rush's path and under races: the ticket writer refuses a
restricted winner with the same code and words and gives its seat back; two decisions on
one appeal; a booking racing an appeal's acceptance."""

import pytest
from django.urls import reverse

from appointments.ledger.services import appeal_decide, appeal_file
from appointments.models import Appointment, LedgerAppeal, LedgerEntry
from appointments.services.ticket_writer import tickets_write
from appointments.stock.loading import sessions_stock_load
from common.errors import Conflict
from common.services import Actor
from tests.appointments.booking_helpers import booking_job, outcome
from tests.appointments.stock_helpers import free_seats, marked, needs_redis, stock
from tests.appointments.test_ledger import bookable, doctor, restricted
from tests.race import needs_row_locks, run_at_once
from tests.records.helpers import client_for

pytestmark = pytest.mark.django_db
__all__ = ["doctor", "restricted", "stock"]  # the fixtures

ACTOR = Actor.system()


@needs_redis
def test_the_writer_refuses_a_restricted_winner_and_gives_the_seat_back(
    stock, restricted, doctor, django_capture_on_commit_callbacks
):
    slot = bookable(doctor)
    sessions_stock_load([slot.session_id])
    client = client_for(restricted.user)
    response = client.post(
        reverse("api:appointments:book"),
        {"slot_id": slot.pk, "profile_id": restricted.pk},
        format="json",
    )
    assert response.status_code == 202, response.json()
    assert free_seats(stock, slot.pk) == slot.capacity - 1

    with django_capture_on_commit_callbacks(execute=True):
        report = tickets_write()

    assert report.refused == 1
    polled = client.get(response.json()["poll"]).json()
    assert polled["status"] == "refused"
    assert polled["error"]["code"] == "booking_restricted"
    assert "90" in polled["error"]["message"]
    assert free_seats(stock, slot.pk) == slot.capacity
    assert restricted.pk not in marked(stock, slot.session_id)
    slot.refresh_from_db()
    assert slot.booked == 0

    # an accepted appeal: the very next winner is booked (the stock keeps nothing of it)
    appeal = appeal_file(
        actor=ACTOR,
        user=restricted.user,
        entry=LedgerEntry.objects.order_by("-occurred_at").first(),
        reason="急诊住院",
    )
    appeal_decide(actor=ACTOR, appeal_id=appeal.pk, accept=True)
    response = client.post(
        reverse("api:appointments:book"),
        {"slot_id": slot.pk, "profile_id": restricted.pk},
        format="json",
    )
    assert response.status_code == 202
    with django_capture_on_commit_callbacks(execute=True):
        assert tickets_write().booked == 1


@pytest.mark.django_db(transaction=True)
@needs_row_locks
def test_two_decisions_on_one_appeal_one_wins(restricted):
    appeal = appeal_file(
        actor=ACTOR,
        user=restricted.user,
        entry=LedgerEntry.objects.first(),
        reason="系统故障",
    )

    def decide(accept: bool):
        return lambda: appeal_decide(actor=ACTOR, appeal_id=appeal.pk, accept=accept)

    results = run_at_once([decide(True), decide(False)])

    errors = [r for r in results if isinstance(r, Exception)]
    assert len(errors) == 1
    assert isinstance(errors[0], Conflict)
    assert errors[0].code == "appeal_decided"
    appeal.refresh_from_db()
    voided = LedgerEntry.objects.filter(voided_at__isnull=False).count()
    assert (appeal.status, voided) in (("accepted", 1), ("rejected", 0))


@pytest.mark.django_db(transaction=True)
@needs_row_locks
def test_a_booking_racing_an_acceptance_is_refused_or_booked_never_half(
    restricted, doctor
):
    slot = bookable(doctor)
    appeal = appeal_file(
        actor=ACTOR,
        user=restricted.user,
        entry=LedgerEntry.objects.order_by("-occurred_at").first(),
        reason="当天停电",
    )

    results = run_at_once(
        [
            booking_job(restricted, slot.pk),
            lambda: appeal_decide(actor=ACTOR, appeal_id=appeal.pk, accept=True),
        ]
    )

    assert outcome(results[0]) in ("booked", "booking_restricted")
    assert isinstance(results[1], LedgerAppeal)
    slot.refresh_from_db()
    assert slot.booked == Appointment.objects.filter(slot=slot).count()
    # once accepted, the next booking goes through whatever the race gave
    if outcome(results[0]) != "booked":
        from tests.appointments.booking_helpers import book

        assert book(slot, restricted).status == "booked"
