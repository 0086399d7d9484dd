"""The release queue's waiting room in the portal (排队放号): join with a 就诊人, the place
panel that htmx refreshes every `poll_after_seconds`, the slots with book buttons once
admitted, leaving, and the refusals on the page. The queue lives on Redis (REDIS_URL);
without it only the fallback ("book as usual") is tested."""

import datetime
import re

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils.html import escape

from appointments.models import Appointment
from appointments.services.ticket_writer import tickets_write
from tests.accounts.factories import PatientProfileFactory
from tests.appointments.booking_helpers import same_person
from tests.appointments.release_queue_helpers import at, hot_session, join, pace_set
from tests.appointments.stock_helpers import needs_redis, stock
from tests.portal.conftest import signed_in

pytestmark = [pytest.mark.django_db]
__all__ = ["stock"]  # the fixture

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def pace(settings):
    pace_set(settings, burst=1, rate=1)


def page_url(session) -> str:
    return reverse("portal:release-queue", args=[session.pk])


def leave_url(session) -> str:
    return reverse("portal:release-queue-leave", args=[session.pk])


def poll_seconds(body: str) -> int | None:
    found = re.search(r'hx-trigger="every (\d+)s"', body)
    return int(found.group(1)) if found else None


def released(seats: int = 4, slots: int = 1):
    """A queued session released a minute ago (its queue still on: RELEASE_QUEUE_MINUTES)."""
    return hot_session(
        seats=seats, slots=slots, release_in=-datetime.timedelta(minutes=1)
    )


# -- joining -------------------------------------------------------------------------------


@needs_redis
def test_a_patient_chooses_a_profile_joins_and_the_panel_asks_again(stock, pace):
    # given a session releasing in 10 minutes: the waiting room is open
    session, _ = hot_session()
    profile = PatientProfileFactory(name="张三")
    client = signed_in(profile.user)
    page = client.get(page_url(session)).content.decode()
    assert "The waiting room is open." in page
    assert "张三" in page
    assert "Join the waiting room" in page
    assert poll_seconds(page) is None  # nothing to wait for before joining

    # when
    response = client.post(page_url(session), {"profile": profile.pk})

    # then: back to the page, holding a place drawn at the release
    assert response.status_code == 302
    assert response.url == page_url(session)
    page = client.get(page_url(session)).content.decode()
    assert "You have joined the waiting room." in page
    assert "Places are drawn at the release." in page
    assert "Patient: 张三" in page
    assert "Leave the waiting room" in page
    assert "Join the waiting room" not in page
    # the draw is 10 minutes away: ask every half of it, at most 30 s
    assert poll_seconds(page) == 30


@needs_redis
def test_joining_again_for_the_same_profile_answers_the_place_held(stock, pace):
    session, _ = hot_session()
    profile = PatientProfileFactory()
    client = signed_in(profile.user)
    client.post(page_url(session), {"profile": profile.pk})

    response = client.post(page_url(session), {"profile": profile.pk}, follow=True)

    assert "You already hold a place in this waiting room." in response.content.decode()


# -- the panel's states --------------------------------------------------------------------


@needs_redis
def test_the_partial_is_the_panel_only_and_says_each_state(stock, pace, settings):
    # given one seat, two patients in the waiting room before the release
    session, (slot,) = released(seats=1)
    first, second = PatientProfileFactory(), PatientProfileFactory()
    for profile in (first, second):
        join(profile, session, at(session, -5))

    # when both ask after the release (the first ask draws the places)
    answers = {
        p.pk: signed_in(p.user).get(page_url(session), **HTMX).content.decode()
        for p in (first, second)
    }

    # then: the panel alone; one admitted with the slot to book, one waiting
    for body in answers.values():
        assert "<html" not in body
        assert 'class="queue-panel"' in body
    admitted = [b for b in answers.values() if "It is your turn" in b]
    waiting = [b for b in answers.values() if "You are in the queue." in b]
    assert len(admitted) == 1
    assert len(waiting) == 1
    assert reverse("portal:book", args=[slot.pk]) in admitted[0]
    assert poll_seconds(admitted[0]) == 5
    assert re.search(r'class="queue-ahead">0<', waiting[0])
    assert "Unknown: a seat is unlikely" in waiting[0]
    assert reverse("portal:book", args=[slot.pk]) not in waiting[0]
    assert poll_seconds(waiting[0]) is not None


@needs_redis
def test_admitted_books_with_the_held_profile_and_the_panel_says_booked(stock, pace):
    session, (slot,) = released(seats=2)
    profile = PatientProfileFactory()
    join(profile, session, at(session, -5))
    client = signed_in(profile.user)
    body = client.get(page_url(session)).content.decode()
    assert "It is your turn: please book now." in body
    assert f'name="profile" value="{profile.pk}"' in body

    # when the patient presses the slot's button (the portal's booking view)
    response = client.post(
        reverse("portal:book", args=[slot.pk]), {"profile": profile.pk}
    )

    # then the seat is won (a ticket the writer books), and the waiting room says so
    # and stops asking
    assert response.status_code == 302
    tickets_write()
    assert Appointment.objects.filter(profile=profile, slot=slot).exists()
    body = client.get(page_url(session), **HTMX).content.decode()
    assert "Booked through the queue." in body
    assert reverse("portal:appointments") in body
    assert poll_seconds(body) is None


@needs_redis
def test_a_waiting_patient_who_books_is_refused_on_the_booking_page(stock, pace):
    session, (slot,) = released(seats=1)
    profiles = [PatientProfileFactory(), PatientProfileFactory()]
    for profile in profiles:
        join(profile, session, at(session, -5))
    bodies = [
        signed_in(p.user).get(page_url(session)).content.decode() for p in profiles
    ]
    waiting = profiles[0] if "You are in the queue." in bodies[0] else profiles[1]

    response = signed_in(waiting.user).post(
        reverse("portal:book", args=[slot.pk]), {"profile": waiting.pk}
    )

    assert response.status_code == 409
    assert 'class="errors" role="alert"' in response.content.decode()
    assert not Appointment.objects.filter(profile=waiting).exists()


def test_without_the_queue_the_page_says_book_as_usual(settings):
    # the seat stock off (no Redis): the queue is unavailable, booking goes on as usual
    settings.BOOKING_PREDEDUCT = False
    session, _ = hot_session()
    client = signed_in(PatientProfileFactory().user)

    body = client.get(page_url(session)).content.decode()

    assert "The queue is unavailable just now: please book as usual." in body
    assert reverse("portal:doctor", args=[session.doctor_id]) in body
    assert "Join the waiting room" not in body


@needs_redis
def test_the_panel_is_in_chinese(stock, pace, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    from django.utils import translation

    session, _ = hot_session()
    profile = PatientProfileFactory()
    join(profile, session, at(session, -60))
    with translation.override("zh-hans"):
        body = signed_in(profile.user).get(page_url(session)).content.decode()

    assert "排队放号" in body
    assert "您已进入排队，放号时统一抽签排序。" in body
    assert "离开排队" in body


# -- another user's view, and errors -------------------------------------------------------


@needs_redis
def test_another_patient_sees_only_their_own_place(stock, pace):
    session, _ = hot_session()
    holder = PatientProfileFactory(name="李四")
    join(holder, session, at(session, -60))
    other = PatientProfileFactory(name="王五")

    body = signed_in(other.user).get(page_url(session)).content.decode()

    assert "The waiting room is open." in body
    assert "李四" not in body
    assert 'class="queue-position"' not in body
    assert "Leave the waiting room" not in body


@needs_redis
def test_a_refused_join_is_shown_on_the_form_with_its_status(stock, pace):
    # given the same person holds a place through another account
    session, _ = hot_session()
    holder = PatientProfileFactory()
    join(holder, session, at(session, -60))
    twin = same_person(holder)
    client = signed_in(twin.user)

    # when
    response = client.post(page_url(session), {"profile": twin.pk})

    # then
    assert response.status_code == 409
    body = response.content.decode()
    assert 'class="errors" role="alert"' in body
    assert escape("This patient already holds a place in this queue") in body


@needs_redis
def test_before_the_waiting_room_opens_joining_is_refused_and_the_page_waits(
    stock, pace
):
    session, _ = hot_session(release_in=datetime.timedelta(hours=2))
    profile = PatientProfileFactory()
    client = signed_in(profile.user)
    body = client.get(page_url(session)).content.decode()
    assert "The waiting room is not open yet." in body
    assert "Join the waiting room" not in body
    assert poll_seconds(body) == 60

    response = client.post(page_url(session), {"profile": profile.pk})

    assert response.status_code == 409
    assert "The waiting room opens at" in response.content.decode()


@needs_redis
def test_another_accounts_profile_cannot_be_chosen(stock, pace):
    session, _ = hot_session()
    mine, theirs = PatientProfileFactory(), PatientProfileFactory()

    response = signed_in(mine.user).post(page_url(session), {"profile": theirs.pk})

    assert response.status_code == 400
    assert "Join the waiting room" in response.content.decode()


def test_an_unknown_session_is_404_and_a_visitor_is_sent_to_log_in(client):
    profile = PatientProfileFactory()
    assert signed_in(profile.user).get("/h5/release-queue/999999/").status_code == 404
    session, _ = hot_session()
    response = client.get(page_url(session))
    assert response.status_code == 302
    assert "/h5/login/" in response.url


# -- leaving -------------------------------------------------------------------------------


@needs_redis
def test_leaving_gives_the_place_up_and_the_form_is_back(stock, pace):
    session, _ = hot_session()
    profile = PatientProfileFactory()
    join(profile, session, at(session, -60))
    client = signed_in(profile.user)

    response = client.post(leave_url(session), follow=True)

    body = response.content.decode()
    assert "You have left the waiting room." in body
    assert "Join the waiting room" in body

    # and leaving again says there is no place, on the page
    response = client.post(leave_url(session))
    assert response.status_code == 302
    texts = [str(m) for m in get_messages(response.wsgi_request)]
    assert texts == ["You hold no place in this queue."]


# -- the doctor's page ---------------------------------------------------------------------


def test_the_doctors_page_leads_a_queued_session_to_its_waiting_room(client):
    session, (slot,) = released()

    body = client.get(
        reverse("portal:doctor", args=[session.doctor_id])
    ).content.decode()

    assert "Enter the queue" in body
    assert page_url(session) in body
    assert reverse("portal:book", args=[slot.pk]) not in body


@needs_redis
def test_the_panel_that_finds_the_room_open_brings_the_join_form(stock, pace):
    # the panel polled while the room was not open: its next answer can be joined from
    session, _ = hot_session()
    profile = PatientProfileFactory(name="赵六")

    body = signed_in(profile.user).get(page_url(session), **HTMX).content.decode()

    assert "<html" not in body
    assert "The waiting room is open." in body
    assert 'name="csrfmiddlewaretoken"' in body
    assert "赵六" in body
    assert f'action="{page_url(session)}"' in body


def test_joining_while_the_queue_is_unavailable_says_book_as_usual(settings):
    settings.BOOKING_PREDEDUCT = False
    session, _ = hot_session()
    profile = PatientProfileFactory()

    response = signed_in(profile.user).post(
        page_url(session), {"profile": profile.pk}, follow=True
    )

    body = response.content.decode()
    assert "The queue is unavailable just now: please book as usual." in body
    assert "You already hold a place" not in body
    assert "You have joined" not in body
