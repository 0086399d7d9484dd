"""Rebooking offers in the portal: the list, one tap to accept or decline; another's 404."""

import pytest
from django.urls import reverse

from appointments.models import Appointment, RebookingOffer
from tests.accounts.factories import PatientProfileFactory
from tests.appointments.offer_helpers import one_offer_after_a_paid_booking_stopped
from tests.portal.conftest import signed_in

pytestmark = [pytest.mark.django_db, pytest.mark.clock]


@pytest.fixture
def offer(settings) -> RebookingOffer:
    settings.PAYMENTS_DEV_GATEWAY = True
    return one_offer_after_a_paid_booking_stopped()


def test_the_page_lists_the_offer_and_accept_books_it(offer):
    client = signed_in(offer.appointment.user)

    page = client.get(reverse("portal:rebooking-offers"))
    accepted = client.post(reverse("portal:rebooking-offer-accept", args=[offer.pk]))

    assert page.status_code == 200
    assert reverse("portal:rebooking-offer-accept", args=[offer.pk]) in page.text
    offer.refresh_from_db()
    assert offer.status == RebookingOffer.Status.ACCEPTED
    assert accepted.status_code == 302
    assert accepted.url == reverse(
        "portal:appointment", args=[offer.new_appointment_id]
    )
    booking = Appointment.objects.get(pk=offer.new_appointment_id)
    assert booking.fee == 0
    again = client.post(reverse("portal:rebooking-offer-accept", args=[offer.pk]))
    assert again.status_code == 409


def test_decline_returns_to_the_list(offer):
    client = signed_in(offer.appointment.user)

    declined = client.post(reverse("portal:rebooking-offer-decline", args=[offer.pk]))

    assert declined.status_code == 302
    offer.refresh_from_db()
    assert offer.status == RebookingOffer.Status.DECLINED


def test_another_patients_offer_is_not_found(offer):
    client = signed_in(PatientProfileFactory().user)

    for name in ("rebooking-offer-accept", "rebooking-offer-decline"):
        assert (
            client.post(reverse(f"portal:{name}", args=[offer.pk])).status_code == 404
        )
    page = client.get(reverse("portal:rebooking-offers"))
    assert reverse("portal:rebooking-offer-accept", args=[offer.pk]) not in page.text
    offer.refresh_from_db()
    assert offer.status == RebookingOffer.Status.OPEN


def test_the_menu_and_the_home_page_lead_to_the_offers(offer):
    client = signed_in(offer.appointment.user)
    link = f'href="{reverse("portal:rebooking-offers")}"'

    home = client.get(reverse("portal:index"), headers={"accept-language": "zh-hans"})
    appointments = client.get(reverse("portal:appointments"))

    assert home.status_code == 200
    menu, _, body = home.text.partition("</nav>")
    assert link in menu  # the menu on every page
    assert link in body  # and among the home page's links
    assert "停诊改约" in menu
    assert link in appointments.text.partition("</nav>")[0]
