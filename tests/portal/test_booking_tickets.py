"""Booking in the portal the API's way (README, "The rush"): the seat stock first; a seat won
there is a booking ticket, and a ticket still queued waits on its own page, polled with
htmx, until the writer books it (→ the pay page) or refuses it (the refusal on the page);
past the bound the page stops asking.

The ticket page's tests make the queued ticket as the stock path records it (a
BookingTicket row) and let the real writer decide it: no Redis needed. Booking through the
stock needs a real Redis (REDIS_URL); those tests are skipped without it."""

import datetime
import re
import threading

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from accounts.models import PatientProfile
from appointments.models import Appointment, BookingTicket
from appointments.services.ticket_writer import tickets_write
from appointments.stock.loading import sessions_stock_load
from scheduling.models import Slot
from tests.accounts.factories import PatientProfileFactory
from tests.appointments.booking_helpers import book
from tests.appointments.stock_helpers import free_seats, needs_redis, stock
from tests.portal.conftest import signed_in
from tests.race import needs_row_locks
from tests.scheduling.factories import BookingRuleFactory, SlotFactory

pytestmark = [pytest.mark.django_db, pytest.mark.clock]
__all__ = ["stock"]  # the fixture

HTMX = {"HTTP_HX_REQUEST": "true"}
QUEUED_TEXT = "Queued: a seat is held for you; confirming the booking…"


@pytest.fixture
def no_stock(settings):
    """The ticket pages without Redis: the writer tells no stock."""
    settings.BOOKING_PREDEDUCT = False


@pytest.fixture
def profile() -> PatientProfile:
    return PatientProfileFactory(name="张三")


@pytest.fixture
def client(profile):
    return signed_in(profile.user)


def queued_ticket(profile: PatientProfile, slot: Slot) -> BookingTicket:
    """A seat won in the stock, as booking_try_stock records it."""
    return BookingTicket.objects.create(
        user_id=profile.user_id,
        profile_id=profile.pk,
        slot_id=slot.pk,
        session_id=slot.session_id,
    )


@pytest.fixture
def stopped_clock(time_machine):
    """Time stands still until the test moves it (`stopped_clock(seconds=…)`)."""
    time_machine.move_to(timezone.now(), tick=False)
    return lambda **delta: time_machine.shift(datetime.timedelta(**delta))


def ticket_url(ticket: BookingTicket) -> str:
    return reverse("portal:booking-ticket", args=[ticket.pk])


# -- the ticket's page ------------------------------------------------------------------


def test_a_queued_ticket_says_the_seat_is_held_and_asks_every_second(
    no_stock, client, profile
):
    # given
    slot = SlotFactory(session__doctor__name="李医生")
    ticket = queued_ticket(profile, slot)

    # when
    response = client.get(ticket_url(ticket))

    # then
    assert response.status_code == 200
    body = response.content.decode()
    assert QUEUED_TEXT in body
    assert "李医生" in body
    assert 'role="status" aria-live="polite"' in body
    assert f'hx-get="{ticket_url(ticket)}" hx-trigger="every 1s"' in body
    assert f'href="{ticket_url(ticket)}"' in body  # "Check again", without JavaScript
    assert f'href="{reverse("portal:appointments")}"' in body


def test_while_queued_the_poll_answers_the_poller_only(
    no_stock, client, profile, stopped_clock
):
    ticket = queued_ticket(profile, SlotFactory())
    stopped_clock(seconds=3)

    response = client.get(ticket_url(ticket), **HTMX)

    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="ticket-poll"' in body
    assert 'hx-trigger="every 1s"' in body
    assert "Waiting for 3 seconds." in body
    assert (
        "hx-swap-oob" not in body
    )  # the status region is left alone: nothing to announce
    assert "<html" not in body


def test_the_poll_asks_less_often_as_the_wait_grows(
    no_stock, client, profile, stopped_clock
):
    url = ticket_url(queued_ticket(profile, SlotFactory()))
    asked = []
    for seconds in (9, 1, 19, 1, 29):  # at 9, 10, 29, 30 and 59 seconds
        stopped_clock(seconds=seconds)
        body = client.get(url, **HTMX).content.decode()
        asked.append(re.search(r'hx-trigger="every (\d+)s"', body).group(1))

    assert asked == ["1", "2", "2", "5", "5"]


def test_once_booked_the_poll_sends_the_patient_to_pay(no_stock, client, profile):
    # given: a queued ticket, then the writer books it
    slot = SlotFactory(session__fee=2500)
    ticket = queued_ticket(profile, slot)
    assert tickets_write().booked == 1
    appointment = Appointment.objects.get()

    # when
    response = client.get(ticket_url(ticket), **HTMX)

    # then: htmx goes to the pay page, where the booking is announced
    pay = reverse("portal:pay", args=[appointment.pk])
    assert response.status_code == 200
    assert response["HX-Redirect"] == pay
    assert appointment.profile_id == profile.pk
    assert appointment.status == Appointment.Status.PENDING_PAYMENT
    body = client.get(pay).content.decode()
    assert (
        f"Booked: No. {appointment.queue_no}. Please pay before the hold expires."
        in body
    )
    # and without JavaScript the page redirects the same way
    assert client.get(ticket_url(ticket)).url == pay


def test_a_free_booking_goes_to_the_appointments_page(no_stock, client, profile):
    slot = SlotFactory(session__fee=0, session__doctor__fee=0)
    ticket = queued_ticket(profile, slot)
    tickets_write()
    appointment = Appointment.objects.get()

    response = client.get(ticket_url(ticket))

    assert appointment.status == Appointment.Status.BOOKED
    assert response.url == reverse("portal:appointment", args=[appointment.pk])


def _refused_ticket(profile: PatientProfile) -> BookingTicket:
    """The hospital allows one booking a day per person, who holds one already."""
    slot = SlotFactory(capacity=2)
    BookingRuleFactory(hospital=slot.session.hospital, max_active_per_day=1)
    other = SlotFactory(
        session__hospital=slot.session.hospital, session__date=slot.session.date
    )
    book(other, profile)
    ticket = queued_ticket(profile, slot)
    assert tickets_write().refused == 1
    ticket.refresh_from_db()
    assert ticket.error_code == "daily_limit_reached"
    return ticket


def test_a_refused_ticket_is_announced_and_the_poll_stops(no_stock, client, profile):
    ticket = _refused_ticket(profile)

    response = client.get(ticket_url(ticket), **HTMX)

    assert response.status_code == 200  # htmx swaps it (a 404 refusal too)
    body = response.content.decode()
    assert '<div id="ticket-state" hx-swap-oob="innerHTML">' in body
    assert escape(ticket.error_message) in body
    assert "hx-trigger" not in body
    assert QUEUED_TEXT not in body
    # the links follow: back to the booking instead of "Check again"
    assert '<p id="ticket-actions" hx-swap-oob="innerHTML">' in body
    assert f'href="{reverse("portal:book", args=[ticket.slot_id])}"' in body
    assert f'href="{ticket_url(ticket)}"' not in body


def test_a_refused_tickets_page_shows_the_refusal_as_the_book_page_would(
    no_stock, client, profile
):
    ticket = _refused_ticket(profile)

    response = client.get(ticket_url(ticket))

    assert response.status_code == 409
    body = response.content.decode()
    assert "This could not be done" in body
    assert escape(ticket.error_message) in body
    assert "hx-trigger" not in body
    assert f'href="{reverse("portal:book", args=[ticket.slot_id])}"' in body


def test_past_the_bound_the_page_stops_asking_and_points_to_my_appointments(
    no_stock, client, profile, stopped_clock
):
    ticket = queued_ticket(profile, SlotFactory())
    stopped_clock(seconds=60)

    page = client.get(ticket_url(ticket)).content.decode()
    poll = client.get(ticket_url(ticket), **HTMX).content.decode()

    for body in (page, poll):
        assert "Still queued: your seat is held" in body
        assert "hx-trigger" not in body
    assert 'hx-swap-oob="innerHTML"' in poll
    assert f'href="{reverse("portal:appointments")}"' in page
    # the server still decides it: booked later, the page goes on to pay
    tickets_write()
    appointment = Appointment.objects.get()
    assert client.get(ticket_url(ticket)).url == reverse(
        "portal:pay", args=[appointment.pk]
    )


def test_another_users_ticket_is_404_and_a_visitor_is_sent_to_log_in(no_stock, profile):
    ticket = queued_ticket(profile, SlotFactory())

    stranger = signed_in(PatientProfileFactory().user)
    assert stranger.get(ticket_url(ticket)).status_code == 404
    assert stranger.get(ticket_url(ticket), **HTMX).status_code == 404
    response = Client().get(ticket_url(ticket))
    assert response.status_code == 302
    assert response.url.startswith(reverse("portal:login"))


# -- booking through the stock (Redis) --------------------------------------------------


def _loaded(slot: Slot) -> Slot:
    sessions_stock_load([slot.session_id])
    return slot


def _post(client, slot, profile):
    return client.post(reverse("portal:book", args=[slot.pk]), {"profile": profile.pk})


@needs_redis
def test_a_seat_won_in_the_stock_waits_on_the_tickets_page_then_goes_to_pay(
    stock, client, profile
):
    # given: a slot loaded in the stock; the writer does not answer within the wait
    slot = _loaded(SlotFactory(capacity=3))

    # when
    response = _post(client, slot, profile)

    # then: the ticket's page, the seat held in the stock, nothing in the database yet
    ticket = BookingTicket.objects.get()
    assert response.status_code == 302
    assert response.url == ticket_url(ticket)
    assert (ticket.profile_id, ticket.status) == (profile.pk, "queued")
    assert free_seats(stock, slot.pk) == 2
    assert Appointment.objects.count() == 0
    assert QUEUED_TEXT in client.get(response.url).content.decode()

    # when: the writer books it
    tickets_write()

    # then
    appointment = Appointment.objects.get()
    assert client.get(ticket_url(ticket), **HTMX)["HX-Redirect"] == reverse(
        "portal:pay", args=[appointment.pk]
    )
    slot.refresh_from_db()
    assert slot.booked == 1


@needs_redis
def test_a_stock_refusal_is_shown_on_the_book_page_without_a_ticket(
    stock, client, profile
):
    slot = _loaded(SlotFactory(capacity=1, booked=1))

    response = _post(client, slot, profile)

    assert response.status_code == 409
    body = response.content.decode()
    assert "This could not be done" in body
    assert "This time slot is fully booked." in body
    assert BookingTicket.objects.count() == 0


@needs_redis
def test_a_second_booking_in_the_session_is_refused_by_the_stock(
    stock, client, profile
):
    slot = _loaded(SlotFactory(capacity=3))
    assert _post(client, slot, profile).status_code == 302

    response = _post(client, slot, profile)

    assert response.status_code == 409
    assert "already has a booking in this session" in response.content.decode()
    assert BookingTicket.objects.count() == 1
    assert free_seats(stock, slot.pk) == 2


@needs_redis
def test_a_slot_not_in_the_stock_is_booked_in_the_database_at_once(
    stock, client, profile
):
    slot = SlotFactory(capacity=3)  # not loaded

    response = _post(client, slot, profile)

    appointment = Appointment.objects.get()
    assert response.url == reverse("portal:pay", args=[appointment.pk])
    assert BookingTicket.objects.count() == 0


@needs_redis
def test_with_redis_down_the_portal_books_in_the_database(
    stock, settings, client, profile
):
    slot = _loaded(SlotFactory(capacity=2))
    settings.BOOKING_STOCK_REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens

    response = _post(client, slot, profile)

    appointment = Appointment.objects.get()
    assert response.url == reverse("portal:pay", args=[appointment.pk])
    assert BookingTicket.objects.count() == 0


@needs_redis
@needs_row_locks
@pytest.mark.django_db(transaction=True)
def test_a_ticket_the_writer_books_within_the_wait_goes_straight_to_pay(
    stock, settings, client, profile
):
    # given: the request waits up to 5 s; a writer is watching for the ticket
    settings.BOOKING_TICKET_WAIT_MS = 5000
    slot = _loaded(SlotFactory(capacity=3))

    def writer() -> None:
        for _ in range(200):
            if BookingTicket.objects.exists():
                tickets_write()
                return
            threading.Event().wait(0.01)

    thread = threading.Thread(target=writer)
    thread.start()

    # when
    response = _post(client, slot, profile)
    thread.join()

    # then: booked in time, no ticket page
    appointment = Appointment.objects.get()
    assert response.url == reverse("portal:pay", args=[appointment.pk])
    assert BookingTicket.objects.get().status == "booked"
