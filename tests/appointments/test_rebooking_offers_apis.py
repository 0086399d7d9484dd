"""The rebooking-offer API: the owner's one tap to accept or decline; others get 404."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from appointments.models import RebookingOffer
from tests.appointments.factories import PatientProfileFactory
from tests.appointments.offer_helpers import one_offer_after_a_paid_booking_stopped

pytestmark = [pytest.mark.django_db, pytest.mark.clock]


@pytest.fixture
def offer(settings) -> RebookingOffer:
    settings.PAYMENTS_DEV_GATEWAY = True
    return one_offer_after_a_paid_booking_stopped()


def client_of(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_the_owner_lists_and_accepts_with_one_tap(offer):
    client = client_of(offer.appointment.user)

    listed = client.get(reverse("api:appointments:rebooking-offer-list"))
    accepted = client.post(
        reverse("api:appointments:rebooking-offer-accept", args=[offer.pk])
    )
    again = client.post(
        reverse("api:appointments:rebooking-offer-accept", args=[offer.pk])
    )

    assert listed.status_code == 200
    assert [o["id"] for o in listed.json()] == [offer.pk]
    assert listed.json()[0]["fee_waived"] is True
    assert accepted.status_code == 200, accepted.json()
    assert accepted.json()["status"] == "booked"
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "rebooking_offer_closed"


def test_the_owner_declines(offer):
    response = client_of(offer.appointment.user).post(
        reverse("api:appointments:rebooking-offer-decline", args=[offer.pk])
    )

    assert response.status_code == 200
    assert response.json()["status"] == "declined"


def test_another_users_offer_is_not_found(offer):
    other = client_of(PatientProfileFactory().user)

    for name in ("rebooking-offer-accept", "rebooking-offer-decline"):
        response = other.post(reverse(f"api:appointments:{name}", args=[offer.pk]))
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "rebooking_offer_not_found"
    assert other.get(reverse("api:appointments:rebooking-offer-list")).json() == []
    offer.refresh_from_db()
    assert offer.status == RebookingOffer.Status.OPEN
