"""The patient's one-tap confirmation: POST /api/v1/appointments/<id>/confirm/."""

import pytest
from django.urls import reverse

from appointments.models import Appointment
from appointments.services import appointment_book
from common.services import Actor
from tests.appointments.factories import PatientProfileFactory
from tests.scheduling.factories import SlotFactory

pytestmark = [pytest.mark.django_db, pytest.mark.clock]


@pytest.fixture
def profile():
    return PatientProfileFactory()


@pytest.fixture
def client(api_client, profile):
    api_client.force_authenticate(profile.user)
    return api_client


def booked(profile, **slot) -> Appointment:
    return appointment_book(
        actor=Actor.system(),
        user=profile.user,
        profile=profile,
        slot=SlotFactory(**slot),
    )


def confirm_url(appointment: Appointment) -> str:
    return reverse("api:appointments:confirm", args=[appointment.pk])


def test_the_patient_confirms_with_one_tap_and_again_gets_the_same_answer(
    client, profile
):
    # given
    appointment = booked(profile, session__fee=0)

    # when
    first = client.post(confirm_url(appointment))
    second = client.post(confirm_url(appointment))

    # then
    assert (first.status_code, second.status_code) == (200, 200)
    assert first.json()["confirmed_at"] is not None
    assert second.json()["confirmed_at"] == first.json()["confirmed_at"]
    assert first.json()["status"] == "booked"
    appointment.refresh_from_db()
    assert appointment.confirmed_at is not None


def test_another_patients_booking_answers_404(client):
    # given
    someone_else = booked(PatientProfileFactory())

    # when
    response = client.post(confirm_url(someone_else))

    # then
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "appointment_not_found"
    someone_else.refresh_from_db()
    assert someone_else.confirmed_at is None


def test_a_cancelled_booking_answers_a_clear_conflict(client, profile):
    # given
    appointment = booked(profile)
    client.post(reverse("api:appointments:cancel", args=[appointment.pk]))

    # when
    response = client.post(confirm_url(appointment))

    # then
    assert response.status_code == 409
    assert response.json() == {
        "error": {
            "code": "not_confirmable",
            "message": "Only an upcoming booking can be confirmed; this one is "
            "Cancelled.",
            "fields": {},
        }
    }


def test_anonymous_is_refused(api_client, profile):
    appointment = booked(profile)

    response = api_client.post(confirm_url(appointment))

    assert response.status_code == 401
