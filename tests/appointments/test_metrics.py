"""Bookings and refusals counted in /metrics, read back as Prometheus reads them:
the database path (any database) and the seat stock's (real Redis)."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from appointments.services.ticket_writer import tickets_write
from appointments.stock.loading import sessions_stock_load
from common.errors import Conflict
from tests.appointments.factories import PatientProfileFactory
from tests.appointments.stock_helpers import needs_redis, stock
from tests.metrics_helpers import TOKEN, scrape, value
from tests.records.helpers import client_for
from tests.scheduling.factories import SlotFactory

pytestmark = pytest.mark.django_db
__all__ = ["stock"]  # the fixture

BOOK = reverse("api:appointments:book")


@pytest.fixture(autouse=True)
def metrics_token(settings):
    settings.METRICS_TOKEN = TOKEN


def _book(profile, slot):
    return client_for(profile.user).post(
        BOOK, {"slot_id": slot.pk, "profile_id": profile.pk}, format="json"
    )


def _counts(samples: dict, path: str) -> dict[str, float]:
    return {
        "booked": value(samples, "hospital_bookings_total", path=path, result="booked"),
        "queued": value(samples, "hospital_bookings_total", path=path, result="queued"),
        "refused": value(
            samples, "hospital_bookings_total", path=path, result="refused"
        ),
        "slot_full": value(
            samples, "hospital_booking_refusals_total", path=path, code="slot_full"
        ),
        "not_released_yet": value(
            samples,
            "hospital_booking_refusals_total",
            path=path,
            code="not_released_yet",
        ),
    }


def _difference(before: dict, after: dict) -> dict:
    return {name: after[name] - before[name] for name in before}


def test_a_booking_and_its_refusals_are_counted_on_the_database_path(settings):
    # given: one seat left, and a session not released yet (never loaded in the stock)
    settings.BOOKING_PREDEDUCT = False
    slot = SlotFactory(capacity=1)
    later = SlotFactory(
        session__release_at=timezone.now() + datetime.timedelta(hours=1)
    )
    first, second = PatientProfileFactory(), PatientProfileFactory()
    before = _counts(scrape(), "database")

    # when
    booked = _book(first, slot)
    sold_out = _book(second, slot)
    unreleased = _book(second, later)

    # then
    assert [r.status_code for r in (booked, sold_out, unreleased)] == [201, 409, 409]
    assert _difference(before, _counts(scrape(), "database")) == {
        "booked": 1,
        "queued": 0,
        "refused": 2,
        "slot_full": 1,
        "not_released_yet": 1,
    }


@needs_redis
def test_the_stock_counts_its_tickets_and_its_refusals_before_drf(stock):
    # given: a loaded slot with one seat, and a loaded session not released yet
    slot = SlotFactory(capacity=1)
    later = SlotFactory(
        session__release_at=timezone.now() + datetime.timedelta(minutes=30)
    )
    sessions_stock_load([slot.session_id, later.session_id])
    first, second = PatientProfileFactory(), PatientProfileFactory()
    before = _counts(scrape(), "stock")
    decided_before = value(
        scrape(), "hospital_booking_tickets_decided_total", result="booked"
    )

    # when: a seat won (its ticket queued: no wait), then two refusals in the stock
    won = _book(first, slot)
    sold_out = _book(second, slot)
    unreleased = _book(second, later)
    tickets_write()

    # then
    assert [r.status_code for r in (won, sold_out, unreleased)] == [202, 409, 409]
    after = scrape()
    assert _difference(before, _counts(after, "stock")) == {
        "booked": 0,
        "queued": 1,
        "refused": 2,
        "slot_full": 1,
        "not_released_yet": 1,
    }
    assert (
        value(after, "hospital_booking_tickets_decided_total", result="booked")
        - decided_before
        == 1
    )


def test_queued_tickets_and_the_outbox_are_read_at_scrape_time(settings):
    from appointments.models import BookingTicket, Notification

    # given
    slot = SlotFactory()
    profile = PatientProfileFactory()
    before = scrape()
    BookingTicket.objects.create(
        user=profile.user,
        profile=profile,
        slot=slot,
        session_id=slot.session_id,
    )
    Notification.objects.create(
        user=profile.user,
        event=Notification.Event.BOOKED,
        dedupe_key="probe:1",
        title="t",
        body="b",
        next_attempt_at=timezone.now(),
    )

    # when
    after = scrape()

    # then
    assert value(after, "hospital_booking_tickets_queued") == (
        value(before, "hospital_booking_tickets_queued") + 1
    )
    assert value(after, "hospital_notifications_outbox", status="pending") == (
        value(before, "hospital_notifications_outbox", status="pending") + 1
    )
    assert value(after, "hospital_notifications_outbox", status="sending") == 0


@needs_redis
def test_the_release_queue_counts_joins_refusals_and_places_drawn(stock, settings):
    from tests.appointments.booking_helpers import same_person
    from tests.appointments.release_queue_helpers import at, hot_session, join, place

    session, _ = hot_session()
    first, second = PatientProfileFactory(), PatientProfileFactory()
    twin = same_person(first)
    before = scrape()

    join(first, session, at(session, -60))
    join(first, session, at(session, -59))
    join(second, session, at(session, -58))
    with pytest.raises(Conflict):
        join(twin, session, at(session, -57))
    place(first, session, at(session, 1))  # the draw

    after = scrape()

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    joins = "hospital_release_queue_joins_total"
    assert grew(joins, result="joined") == 2
    assert grew(joins, result="held") == 1
    assert grew(joins, result="release_queue_person_has_place") == 1
    assert grew("hospital_release_queue_places_drawn_total") == 2
