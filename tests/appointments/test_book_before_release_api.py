"""Booking an unreleased session through the API, as a client would: read can_book_from
from the session list, then POST appointments/book/. Booking's own check is the guard."""

import datetime

import pytest
import time_machine
from django.urls import reverse

from accounts.models import MemberLevel
from appointments.models import Appointment
from tests.appointments.factories import PatientProfileFactory
from tests.records.helpers import client_for
from tests.scheduling.conftest import MONDAY, at
from tests.scheduling.factories import SlotFactory

pytestmark = pytest.mark.django_db

BOOK = reverse("api:appointments:book")
DAY = datetime.timedelta(days=1)
RELEASE = at(MONDAY + DAY, 8)  # Tuesday 08:00; a VIP may book from Monday 08:00


def _member(code: str):
    profile = PatientProfileFactory()
    profile.user.member_level = MemberLevel.objects.get(code=code)
    profile.user.save(update_fields=["member_level"])
    return profile


@pytest.fixture
def slot():
    """A slot of a 10-seat session of Tuesday next week, released Tuesday 08:00."""
    with time_machine.travel(at(MONDAY, 7), tick=False):
        first = SlotFactory(
            session__date=MONDAY + 8 * DAY, session__release_at=RELEASE, capacity=5
        )
        SlotFactory(session=first.session, capacity=5)
    return first


def _session_seen_by(client, slot) -> dict:
    url = reverse(
        "api:scheduling:doctor-sessions",
        kwargs={"doctor_id": slot.session.doctor_id},
    )
    [session] = client.get(url).json()["sessions"]
    return session


def _book(client, profile, slot):
    return client.post(
        BOOK, {"slot_id": slot.pk, "profile_id": profile.pk}, format="json"
    )


def test_a_vip_books_inside_the_window_the_api_showed(slot):
    with time_machine.travel(at(MONDAY, 9), tick=False):
        # given: a VIP reads when they may book
        vip = _member("vip")
        client = client_for(vip.user)
        seen = _session_seen_by(client, slot)

        # when
        response = _book(client, vip, slot)

    # then
    assert (seen["can_book_from"], seen["bookable_now"]) == (
        "2026-03-09T08:00:00+08:00",
        True,
    )
    assert response.status_code == 201
    appointment = Appointment.objects.get()
    assert (appointment.pk, appointment.booked_early) == (response.json()["id"], True)


def test_a_vip_is_refused_before_their_window(slot):
    with time_machine.travel(at(MONDAY, 7, 59, 59), tick=False):
        vip = _member("vip")
        client = client_for(vip.user)
        seen = _session_seen_by(client, slot)
        response = _book(client, vip, slot)

    assert seen["bookable_now"] is False
    assert (response.status_code, response.json()["error"]["code"]) == (
        409,
        "not_released_yet",
    )
    assert Appointment.objects.count() == 0


@pytest.mark.parametrize("level", ["normal", "gold"])
def test_a_patient_outside_any_window_is_refused_until_the_release(slot, level):
    # given: 09:00 Monday; gold books only 2 hours early, normal not at all
    with time_machine.travel(at(MONDAY, 9), tick=False):
        patient = _member(level)
        client = client_for(patient.user)
        seen = _session_seen_by(client, slot)
        refused = _book(client, patient, slot)
    # when: at the release
    with time_machine.travel(RELEASE, tick=False):
        client = client_for(patient.user)
        booked = _book(client, patient, slot)

    # then
    expected_from = {"normal": RELEASE, "gold": RELEASE - datetime.timedelta(hours=2)}
    assert seen["release_at"] == "2026-03-10T08:00:00+08:00"
    assert seen["can_book_from"] == expected_from[level].isoformat()
    assert seen["bookable_now"] is False
    assert (refused.status_code, refused.json()["error"]["code"]) == (
        409,
        "not_released_yet",
    )
    assert booked.status_code == 201
    assert Appointment.objects.get().booked_early is False
