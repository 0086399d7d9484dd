"""Booking through the Redis seat stock: refusals without the database, tickets, the
writer, seats given back, the fallback, reconciliation and the rebuild (README, "The
rush"). Real Redis (REDIS_URL); skipped without it."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from appointments.models import Appointment, BookingTicket
from appointments.services import appointment_cancel
from appointments.services.rebooking_offers import rebooking_offer_decline
from appointments.services.ticket_writer import tickets_write
from appointments.stock import keys
from appointments.stock.loading import sessions_stock_load, stock_preload
from appointments.stock.reconcile import stock_reconcile
from common.services import Actor
from scheduling.models import Slot
from tests.appointments.factories import PatientProfileFactory
from tests.appointments.offer_helpers import one_offer_after_a_paid_booking_stopped
from tests.appointments.stock_helpers import free_seats, marked, needs_redis, stock
from tests.race import needs_row_locks
from tests.records.helpers import client_for
from tests.scheduling.factories import BookingRuleFactory, SlotFactory

pytestmark = [pytest.mark.django_db, needs_redis]
__all__ = ["stock"]  # the fixture

BOOK = reverse("api:appointments:book")


def _book(client, profile, slot):
    return client.post(
        BOOK, {"slot_id": slot.pk, "profile_id": profile.pk}, format="json"
    )


def _loaded(slot: Slot) -> Slot:
    sessions_stock_load([slot.session_id])
    return slot


def test_a_sold_out_slot_is_refused_from_the_stock_without_any_query(stock):
    # given: a full slot, loaded; a patient whose token was checked once already
    slot = _loaded(SlotFactory(capacity=1, booked=1))
    profile = PatientProfileFactory()
    client = client_for(profile.user)
    assert _book(client, profile, slot).status_code == 409  # warms the token check

    # when
    with CaptureQueriesContext(connection) as queries:
        response = _book(client, profile, slot)

    # then
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "slot_full"
    assert [q["sql"] for q in queries.captured_queries] == []


def test_an_unreleased_session_is_refused_from_the_stock_without_any_query(stock):
    import datetime

    from django.utils import timezone

    slot = _loaded(
        SlotFactory(
            session__release_at=timezone.now() + datetime.timedelta(minutes=30),
        )
    )
    profile = PatientProfileFactory()
    client = client_for(profile.user)
    _book(client, profile, slot)

    with CaptureQueriesContext(connection) as queries:
        response = _book(client, profile, slot)

    assert response.json()["error"]["code"] == "not_released_yet"
    assert queries.captured_queries == []


def test_a_won_seat_is_a_ticket_that_the_writer_turns_into_the_appointment(stock):
    # given
    slot = _loaded(SlotFactory(capacity=3))
    profile = PatientProfileFactory()
    client = client_for(profile.user)

    # when: the booking wins its seat in the stock (no wait: the ticket at once)
    response = _book(client, profile, slot)

    # then
    assert response.status_code == 202
    ticket = response.json()
    assert ticket["status"] == "queued"
    assert free_seats(stock, slot.pk) == 2
    assert profile.pk in marked(stock, slot.session_id)
    assert Appointment.objects.count() == 0

    # when: the writer runs
    report = tickets_write()

    # then
    assert (report.claimed, report.booked) == (1, 1)
    polled = client.get(ticket["poll"]).json()
    assert polled["status"] == "booked"
    assert polled["appointment"]["profile"]["id"] == profile.pk
    slot.refresh_from_db()
    assert slot.booked == 1
    assert free_seats(stock, slot.pk) == 2  # the won seat, now in the database


@pytest.mark.django_db(transaction=True)
@needs_row_locks
def test_the_request_answers_201_when_the_writer_decides_within_the_wait(
    stock, settings
):
    import threading

    settings.BOOKING_TICKET_WAIT_MS = 5000
    slot = _loaded(SlotFactory(capacity=3))
    profile = PatientProfileFactory()
    client = client_for(profile.user)

    def writer() -> None:
        for _ in range(200):
            if BookingTicket.objects.exists():
                tickets_write()
                return
            threading.Event().wait(0.01)

    thread = threading.Thread(target=writer)
    thread.start()
    response = _book(client, profile, slot)
    thread.join()
    assert response.status_code == 201, response.json()
    assert response.json()["status"] == "pending_payment"


def test_a_ticket_the_database_refuses_gives_its_seat_and_mark_back(
    stock, django_capture_on_commit_callbacks
):
    # given: the hospital allows one booking a day per person; they hold one already
    slot = _loaded(SlotFactory(capacity=2))
    BookingRuleFactory(hospital=slot.session.hospital, max_active_per_day=1)
    profile = PatientProfileFactory()
    other = SlotFactory(
        session__hospital=slot.session.hospital, session__date=slot.session.date
    )
    from tests.appointments.booking_helpers import book

    book(other, profile)
    client = client_for(profile.user)

    # when
    response = _book(client, profile, slot)
    assert response.status_code == 202
    assert free_seats(stock, slot.pk) == 1
    with django_capture_on_commit_callbacks(execute=True):
        tickets_write()

    # then
    polled = client.get(response.json()["poll"]).json()
    assert polled["status"] == "refused"
    assert polled["error"]["code"] == "daily_limit_reached"
    assert free_seats(stock, slot.pk) == 2
    assert profile.pk not in marked(stock, slot.session_id)
    slot.refresh_from_db()
    assert slot.booked == 0


def test_a_cancel_gives_the_seat_back_to_the_stock_after_commit(
    stock, django_capture_on_commit_callbacks
):
    slot = _loaded(SlotFactory(capacity=1))
    profile = PatientProfileFactory()
    client = client_for(profile.user)
    _book(client, profile, slot)
    tickets_write()
    assert free_seats(stock, slot.pk) == 0
    assert _book(client, PatientProfileFactory(), slot).status_code in (403, 404, 409)

    # when
    appointment = Appointment.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        appointment_cancel(actor=Actor.system(), appointment=appointment, reason="t")

    # then
    assert free_seats(stock, slot.pk) == 1
    assert profile.pk not in marked(stock, slot.session_id)


def test_another_users_profile_is_refused_by_the_stock(stock):
    slot = _loaded(SlotFactory(capacity=2))
    mine, theirs = PatientProfileFactory(), PatientProfileFactory()
    response = _book(client_for(mine.user), theirs, slot)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "profile_not_found"
    assert free_seats(stock, slot.pk) == 2
    assert theirs.pk not in marked(stock, slot.session_id)


def test_a_second_booking_of_the_same_profile_in_the_session_is_refused(stock):
    slot = _loaded(SlotFactory(capacity=3))
    profile = PatientProfileFactory()
    client = client_for(profile.user)
    assert _book(client, profile, slot).status_code == 202
    response = _book(client, profile, slot)
    assert response.json()["error"]["code"] == "already_booked"
    assert free_seats(stock, slot.pk) == 2


def test_another_users_ticket_is_404(stock):
    slot = _loaded(SlotFactory(capacity=3))
    profile = PatientProfileFactory()
    ticket = _book(client_for(profile.user), profile, slot).json()
    stranger = client_for(PatientProfileFactory().user)
    response = stranger.get(ticket["poll"])
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "ticket_not_found"


def test_with_redis_down_booking_falls_back_to_the_database_and_health_says_so(
    stock, settings
):
    slot = _loaded(SlotFactory(capacity=2))
    settings.BOOKING_STOCK_REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens
    profile = PatientProfileFactory()

    response = _book(client_for(profile.user), profile, slot)

    assert response.status_code == 201
    health = client_for(profile.user).get("/health/").json()
    assert health["checks"]["booking"] == "fallback"
    assert health["status"] == "degraded"


def test_the_reconciler_repairs_stable_drift_and_leaves_the_rest(stock):
    slot = _loaded(SlotFactory(capacity=5, booked=1))
    stock.hincrby(keys.slot_key(slot.pk), "free", 3)  # a lost mirror: 7 instead of 4
    stock.sadd(keys.profiles_key(slot.session_id), 999999)

    report = stock_reconcile(settle=0.01)

    assert report.seats_fixed == {slot.pk: -3}
    assert free_seats(stock, slot.pk) == 4
    assert report.profiles_removed == 1
    assert marked(stock, slot.session_id) == set()


def test_after_a_flush_the_stock_is_rebuilt_from_the_database_with_queued_tickets(
    stock,
):
    slot = _loaded(SlotFactory(capacity=4, booked=1))
    profile = PatientProfileFactory()
    assert _book(client_for(profile.user), profile, slot).status_code == 202
    for key in stock.scan_iter(match=keys.pattern()):
        stock.delete(key)

    loaded = stock_preload()

    assert loaded == 1
    assert free_seats(stock, slot.pk) == 2  # 4 - 1 booked - 1 queued
    assert marked(stock, slot.session_id) == {profile.pk}
    tickets_write()
    slot.refresh_from_db()
    assert slot.booked == 2


def test_health_says_the_stock_is_in_use(stock, api_client):
    health = api_client.get("/health/").json()
    assert health["checks"]["booking"] == "ok"


def test_a_writer_that_dies_mid_batch_leaves_every_ticket_queued_for_the_next(
    stock, monkeypatch
):
    # given: three tickets; the first writer dies after inserting the appointments
    from appointments.services import ticket_batch

    slot = _loaded(SlotFactory(capacity=5))
    profiles = [PatientProfileFactory() for _ in range(3)]
    for profile in profiles:
        assert _book(client_for(profile.user), profile, slot).status_code == 202
    insert = ticket_batch.appointments_insert

    def dies(*args, **kwargs):
        insert(*args, **kwargs)
        raise SystemExit("killed")

    monkeypatch.setattr(ticket_batch, "appointments_insert", dies)
    with pytest.raises(SystemExit):
        tickets_write()

    # then: nothing of that batch stayed
    assert Appointment.objects.count() == 0
    assert set(BookingTicket.objects.values_list("status", flat=True)) == {"queued"}
    slot.refresh_from_db()
    assert slot.booked == 0

    # when: the writer comes back
    monkeypatch.setattr(ticket_batch, "appointments_insert", insert)
    report = tickets_write()

    # then: each ticket decided once
    assert (report.claimed, report.booked) == (3, 3)
    assert tickets_write().claimed == 0
    assert Appointment.objects.count() == 3
    slot.refresh_from_db()
    assert slot.booked == 3


def test_a_unique_key_hit_in_a_batch_decides_its_tickets_one_by_one(stock, monkeypatch):
    # given: two tickets; one profile meanwhile booked the session through the database
    # path, and the batch meets that booking's unique key
    from django.db import IntegrityError

    from appointments.services import ticket_writer
    from tests.appointments.booking_helpers import book

    slot = _loaded(SlotFactory(capacity=5))
    first, second = PatientProfileFactory(), PatientProfileFactory()
    assert _book(client_for(first.user), first, slot).status_code == 202
    assert _book(client_for(second.user), second, slot).status_code == 202
    book(slot, first)

    def unique_key_hit(batch):
        raise IntegrityError("appointment_one_per_profile_session")

    monkeypatch.setattr(ticket_writer, "decide_batched", unique_key_hit)

    # when
    report = tickets_write()

    # then: decided one by one through booking's own functions
    assert report.one_by_one is True
    assert (report.booked, report.refusals) == (1, {"already_booked": 1})
    assert Appointment.objects.filter(profile=first, holds_seat=True).count() == 1
    assert Appointment.objects.filter(profile=second, holds_seat=True).count() == 1
    slot.refresh_from_db()
    assert slot.booked == 2


def test_a_refusal_is_answered_before_drf_and_a_bad_request_still_gets_drfs_answer(
    stock, monkeypatch
):
    from appointments import booking_apis

    slot = _loaded(SlotFactory(capacity=1, booked=1))
    profile = PatientProfileFactory()
    client = client_for(profile.user)

    def never(*args, **kwargs):
        raise AssertionError("the refusal went past the stock's early answer")

    monkeypatch.setattr(booking_apis, "booking_try_stock", never)
    response = _book(client, profile, slot)
    assert response.status_code == 409
    assert response.json() == {
        "error": {
            "code": "slot_full",
            "message": "This time slot is fully booked.",
            "fields": {},
        }
    }
    # a body DRF must judge, and a missing token, are answered by DRF as before
    bad = client.post(BOOK, {"slot_id": "x", "profile_id": profile.pk}, format="json")
    assert bad.status_code == 400
    assert bad.json()["error"]["code"] == "invalid"
    anonymous = client_for(profile.user)
    anonymous.credentials()
    assert _book(anonymous, profile, slot).status_code == 401


def test_after_a_reload_an_open_offers_patient_is_marked_in_the_offered_session(
    stock, settings
):
    # given: a stopped booking offered the doctor's later seat (held for the patient);
    # the session has another free slot; then Redis loses everything
    settings.PAYMENTS_DEV_GATEWAY = True
    offer = one_offer_after_a_paid_booking_stopped()
    patient = offer.appointment.profile
    session_id = offer.slot.session_id
    other = SlotFactory(session=offer.slot.session, capacity=2)
    for key in stock.scan_iter(match=keys.pattern()):
        stock.delete(key)

    # when
    sessions_stock_load([session_id])

    # then: the holder is marked, so the stock refuses a second booking of the session,
    # and the reconciler agrees with the load (it does not take the mark away)
    assert marked(stock, session_id) == {patient.pk}
    response = _book(client_for(patient.user), patient, other)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "already_booked"
    assert free_seats(stock, other.pk) == 2
    assert stock_reconcile(settle=0.01).profiles_removed == 0
    assert marked(stock, session_id) == {patient.pk}


def test_a_declined_offers_patient_is_not_marked_after_a_reload(stock, settings):
    settings.PAYMENTS_DEV_GATEWAY = True
    offer = one_offer_after_a_paid_booking_stopped()
    rebooking_offer_decline(actor=Actor.system(), offer=offer)
    for key in stock.scan_iter(match=keys.pattern()):
        stock.delete(key)

    sessions_stock_load([offer.slot.session_id])

    assert marked(stock, offer.slot.session_id) == set()
    assert free_seats(stock, offer.slot_id) == 1
