import pytest
from django.urls import reverse

from accounts.models import User
from appointments.models import Appointment
from appointments.services import appointment_book
from common.services import Actor
from tests.appointments.factories import PatientProfileFactory
from tests.scheduling.factories import SlotFactory

pytestmark = [pytest.mark.django_db, pytest.mark.clock]


def staff_of(hospital, username="desk"):
    from django.contrib.auth.models import Permission

    user = User.objects.create_user(
        username=username,
        password="x",
        role=User.Role.HOSPITAL_STAFF,
        hospital=hospital,
        is_staff=True,
    )
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="appointments",
            codename__in=["view_appointment", "change_appointment"],
        )
    )
    return user


def booked(slot):
    profile = PatientProfileFactory()
    return appointment_book(
        actor=Actor.system(), user=profile.user, profile=profile, slot=slot
    )


def test_staff_see_only_their_hospitals_appointments(client):
    mine = booked(SlotFactory(session__fee=0))
    theirs = booked(SlotFactory(session__fee=0))
    client.force_login(staff_of(mine.hospital))

    listing = client.get(reverse("admin:appointments_appointment_changelist"))
    other = client.get(
        reverse("admin:appointments_appointment_change", args=[theirs.pk])
    )

    assert listing.status_code == 200
    assert mine.order_no in listing.content.decode()
    assert theirs.order_no not in listing.content.decode()
    assert other.status_code == 302  # redirected away: not in this staff member's scope


def test_the_check_in_action_goes_through_the_service_and_reports_refusals(client):
    slot = SlotFactory(session__fee=0)
    appointment = booked(slot)
    client.force_login(staff_of(appointment.hospital))

    response = client.post(
        reverse("admin:appointments_appointment_changelist"),
        {"action": "check_in", "_selected_action": [appointment.pk]},
        follow=True,
    )

    appointment.refresh_from_db()
    # Not the visit day yet (the factory's session is two days ahead): refused, unchanged.
    assert appointment.status == Appointment.Status.BOOKED
    assert (
        "Check-in is only possible on the day of the visit."
        in response.content.decode()
    )


def test_staff_cannot_see_the_notification_outbox(client):
    appointment = booked(SlotFactory(session__fee=0))
    client.force_login(staff_of(appointment.hospital))

    response = client.get(reverse("admin:appointments_notification_changelist"))

    assert response.status_code == 403
