"""Rebooking offers in the admin: read-only, staff see their own hospital's offers only,
filtered by state and dates (the platform by hospital too), in Chinese."""

import datetime

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from appointments.models import RebookingOffer
from appointments.services.rebooking_offers import rebooking_offer_decline
from tests.accounts.factories import StaffFactory, UserFactory
from tests.appointments.offer_helpers import (
    ACTOR,
    one_offer_after_a_paid_booking_stopped,
)

pytestmark = pytest.mark.django_db

OFFERS = "admin:appointments_rebookingoffer_changelist"


@pytest.fixture(autouse=True)
def dev_gateway(settings):
    settings.PAYMENTS_DEV_GATEWAY = True


def _login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _hospital_id(offer: RebookingOffer) -> int:
    return offer.slot.session.hospital_id


def test_staff_see_only_their_hospitals_offers_and_cannot_open_anothers():
    mine, theirs = (one_offer_after_a_paid_booking_stopped() for _ in range(2))
    assert _hospital_id(mine) != _hospital_id(theirs)
    staff = _login(StaffFactory(hospital=mine.slot.session.hospital))

    listing = staff.get(reverse(OFFERS))

    assert listing.status_code == 200
    assert [o.pk for o in listing.context["cl"].result_list] == [mine.pk]
    page = listing.content.decode()
    assert mine.appointment.profile.name in page
    assert theirs.appointment.profile.name not in page
    opened = staff.get(
        reverse("admin:appointments_rebookingoffer_change", args=[mine.pk])
    )
    assert opened.status_code == 200
    assert opened.context["has_change_permission"] is False  # no save buttons
    other = staff.get(
        reverse("admin:appointments_rebookingoffer_change", args=[theirs.pk])
    )
    assert other.status_code == 302  # not found in their scope: back to the index
    assert staff.get(reverse("admin:appointments_rebookingoffer_add")).status_code == (
        403
    )


def test_staff_of_a_hospital_without_offers_see_none_and_the_platform_sees_all():
    offers = [one_offer_after_a_paid_booking_stopped() for _ in range(2)]
    elsewhere = _login(StaffFactory())
    assert elsewhere.get(reverse(OFFERS)).context["cl"].result_count == 0
    platform = _login(
        UserFactory(role=User.Role.PLATFORM_ADMIN, is_staff=True, is_superuser=True)
    )
    listing = platform.get(reverse(OFFERS))
    assert sorted(o.pk for o in listing.context["cl"].result_list) == sorted(
        o.pk for o in offers
    )


def test_filters_by_state_and_dates_and_the_hospital_only_for_the_platform():
    open_offer = one_offer_after_a_paid_booking_stopped()
    declined = one_offer_after_a_paid_booking_stopped()
    rebooking_offer_decline(actor=ACTOR, offer=declined)
    platform = _login(
        UserFactory(role=User.Role.PLATFORM_ADMIN, is_staff=True, is_superuser=True)
    )

    by_state = platform.get(reverse(OFFERS), {"status__exact": "declined"})
    assert [o.pk for o in by_state.context["cl"].result_list] == [declined.pk]
    by_hospital = platform.get(
        reverse(OFFERS),
        {"slot__session__hospital__id__exact": _hospital_id(open_offer)},
    )
    assert [o.pk for o in by_hospital.context["cl"].result_list] == [open_offer.pk]
    day = open_offer.slot.session.date
    assert declined.slot.session.date != day
    by_date = platform.get(
        reverse(OFFERS),
        {
            "slot__session__date__gte": day.isoformat(),
            "slot__session__date__lt": (day + datetime.timedelta(days=1)).isoformat(),
        },
    )
    assert [o.pk for o in by_date.context["cl"].result_list] == [open_offer.pk]
    platform_filters = [f.title for f in by_state.context["cl"].filter_specs]

    staff = _login(StaffFactory(hospital=open_offer.slot.session.hospital))
    page = staff.get(reverse(OFFERS), HTTP_ACCEPT_LANGUAGE="zh-hans")
    staff_filters = [f.title for f in page.context["cl"].filter_specs]
    assert len(platform_filters) == 4
    assert len(staff_filters) == 3  # their hospital is always theirs
    text = page.content.decode()
    assert "改约" in text  # the page speaks Chinese (the catalog)
    assert "待答复" in text  # the state, in Chinese
