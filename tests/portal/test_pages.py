"""Each portal page for a patient; refusals shown on the page; other users' ids 404;
anonymous visitors sent to the login; CSRF on every write."""

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import MemberLevel, PatientProfile, User
from appointments.models import Appointment
from appointments.services import appointment_book
from billing.models import PaymentOrder, Refund
from billing.services import payment_order_dev_pay
from billing.services.orders import payment_order_open
from common.services import Actor
from scheduling.models import BookingRule, ClinicType
from tests.accounts.factories import (
    PatientProfileFactory,
    StaffFactory,
    make_id_card_no,
    make_phone,
)
from tests.hospitals.factories import DepartmentFactory, DoctorFactory
from tests.portal.conftest import signed_in
from tests.scheduling.factories import SlotFactory

pytestmark = [pytest.mark.django_db, pytest.mark.clock]
ACTOR = Actor.system()


@pytest.fixture
def profile() -> PatientProfile:
    return PatientProfileFactory(name="张三")


@pytest.fixture
def client(profile) -> Client:
    return signed_in(profile.user)


@pytest.fixture
def slot():
    doctor = DoctorFactory(name="李医生", fee=2500)
    return SlotFactory(session__doctor=doctor, session__clinic_type=ClinicType.EXPERT)


def booked(profile, slot, *, paid: bool = False) -> Appointment:
    appointment = appointment_book(
        actor=ACTOR, user=profile.user, profile=profile, slot=slot
    )
    if paid:
        order = payment_order_open(appointment=appointment, channel="dev", actor=ACTOR)
        payment_order_dev_pay(order=order, actor=ACTOR)
    return Appointment.objects.get(pk=appointment.pk)


# -- the catalog ------------------------------------------------------------------------


def test_the_catalog_pages_render_for_anyone(slot):
    doctor = slot.session.doctor
    anonymous = Client()

    pages = {
        reverse("portal:index"): "Find a doctor",
        reverse("portal:hospitals")
        + f"?q={doctor.hospital.name}": doctor.hospital.name,
        reverse("portal:hospital", args=[doctor.hospital_id]): doctor.department.name,
        reverse("portal:department", args=[doctor.department_id]): "李医生",
        reverse("portal:doctor-search") + "?q=李": "李医生",
        reverse("portal:doctor", args=[doctor.pk]): "Expert clinic",
    }

    for url, text in pages.items():
        response = anonymous.get(url)
        assert response.status_code == 200, url
        assert text in response.content.decode(), url


def test_the_page_is_chinese_with_landmarks(settings, slot):
    settings.LANGUAGE_CODE = "zh-hans"
    from django.utils import translation

    with translation.override("zh-hans"):
        body = Client().get(reverse("portal:index")).content.decode()

    assert '<html lang="zh-Hans">' in body
    assert '<main id="main"' in body
    assert "<h1>" in body
    assert 'aria-label="主菜单"' in body


def test_the_doctor_page_shows_sessions_seats_clinic_type_and_the_fee(slot):
    response = Client().get(reverse("portal:doctor", args=[slot.session.doctor_id]))

    body = response.content.decode()
    assert "Expert clinic" in body
    assert "¥25.00" in body
    assert f"Book {timezone.localtime(slot.starts_at):%H:%M} (5 left)" in body
    assert reverse("portal:book", args=[slot.pk]) in body


def test_a_session_not_released_yet_shows_when_booking_opens(slot):
    release = timezone.now() + datetime.timedelta(hours=5)
    later = SlotFactory(
        session__doctor=slot.session.doctor,
        session__date=slot.session.date + datetime.timedelta(days=1),
        session__release_at=release,
    )

    body = Client().get(reverse("portal:doctor", args=[slot.session.doctor_id]))
    body = body.content.decode()

    opens = timezone.localtime(release).strftime("%Y-%m-%d %H:%M")
    assert f"Not released yet: booking opens at {opens}." in body
    assert reverse("portal:book", args=[later.pk]) not in body
    assert reverse("portal:book", args=[slot.pk]) in body


def test_the_clinic_type_filter_keeps_only_that_type(slot):
    general = SlotFactory(
        session__doctor=slot.session.doctor,
        session__date=slot.session.date + datetime.timedelta(days=1),
        session__clinic_type=ClinicType.GENERAL,
    )
    url = reverse("portal:doctor", args=[slot.session.doctor_id])

    body = Client().get(url, {"clinic_type": "general"}).content.decode()

    assert reverse("portal:book", args=[general.pk]) in body
    assert reverse("portal:book", args=[slot.pk]) not in body


def test_with_htmx_only_the_sessions_part_is_sent(slot):
    url = reverse("portal:doctor", args=[slot.session.doctor_id])

    response = Client().get(
        url, {"date": slot.session.date.isoformat()}, headers={"HX-Request": "true"}
    )

    body = response.content.decode()
    assert body.startswith('<section id="sessions"')
    assert "<html" not in body
    assert reverse("portal:book", args=[slot.pk]) in body
    assert "HX-Request" in response["Vary"]


def test_a_date_in_the_past_is_a_clear_400(slot):
    url = reverse("portal:doctor", args=[slot.session.doctor_id])

    response = Client().get(url, {"date": "2001-01-01"})

    assert response.status_code == 400
    assert "Choose a date from today on." in response.content.decode()


def test_an_unknown_or_inactive_doctor_is_404():
    hidden = DoctorFactory(is_active=False)

    assert Client().get(reverse("portal:doctor", args=[hidden.pk])).status_code == 404
    assert Client().get(reverse("portal:doctor", args=[99999999])).status_code == 404
    inactive = DepartmentFactory(is_active=False)
    assert (
        Client().get(reverse("portal:department", args=[inactive.pk])).status_code
        == 404
    )


# -- booking and paying -----------------------------------------------------------------


def test_the_book_page_lists_the_patients_profiles(client, slot):
    response = client.get(reverse("portal:book", args=[slot.pk]))

    assert response.status_code == 200
    body = response.content.decode()
    assert "张三" in body
    assert "李医生" in body


def test_without_a_profile_the_book_page_sends_the_patient_to_add_one(slot):
    client = signed_in(PatientProfileFactory().user)
    PatientProfile.objects.all().delete()

    body = client.get(reverse("portal:book", args=[slot.pk])).content.decode()

    add = (
        reverse("portal:profile-add")
        + "?next="
        + reverse("portal:book", args=[slot.pk])
    )
    assert f'href="{add}"' in body


def test_booking_takes_the_seat_and_goes_to_payment(client, profile, slot):
    response = client.post(
        reverse("portal:book", args=[slot.pk]), {"profile": profile.pk}
    )

    appointment = Appointment.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("portal:pay", args=[appointment.pk])
    assert appointment.status == Appointment.Status.PENDING_PAYMENT
    assert appointment.profile == profile
    slot.refresh_from_db()
    assert slot.booked == 1


def test_a_full_slot_is_refused_on_the_page_and_nothing_is_written(client, profile):
    full = SlotFactory(capacity=1, booked=1)

    response = client.post(
        reverse("portal:book", args=[full.pk]), {"profile": profile.pk}
    )

    assert response.status_code == 409
    assert "This could not be done" in response.content.decode()
    assert Appointment.objects.count() == 0
    full.refresh_from_db()
    assert full.booked == 1


def test_booking_for_another_users_profile_is_refused(client, slot):
    other = PatientProfileFactory()

    response = client.post(
        reverse("portal:book", args=[slot.pk]), {"profile": other.pk}
    )

    assert response.status_code == 400
    assert Appointment.objects.count() == 0


def test_the_pay_page_offers_the_channels_the_portal_can_use(
    client, profile, slot, dev_gateway
):
    appointment = booked(profile, slot)

    body = client.get(reverse("portal:pay", args=[appointment.pk])).content.decode()

    assert 'value="dev"' in body
    assert 'value="wechat"' not in body
    assert "¥25.00" in body


def test_paying_with_the_dev_gateway_confirms_the_booking(
    client, profile, slot, dev_gateway
):
    appointment = booked(profile, slot)

    response = client.post(
        reverse("portal:pay", args=[appointment.pk]), {"channel": "dev"}
    )
    order = PaymentOrder.objects.get()
    assert response.url == reverse("portal:dev-pay", args=[order.pk])
    assert client.get(response.url).status_code == 200
    response = client.post(response.url)

    assert response.url == reverse("portal:appointment", args=[appointment.pk])
    appointment.refresh_from_db()
    order.refresh_from_db()
    assert appointment.status == Appointment.Status.BOOKED
    assert order.status == PaymentOrder.Status.PAID


def test_a_channel_that_is_not_configured_is_refused(client, profile, slot, settings):
    settings.PAYMENTS_DEV_GATEWAY = False
    settings.DEBUG = False
    appointment = booked(profile, slot)

    response = client.post(
        reverse("portal:pay", args=[appointment.pk]), {"channel": "dev"}
    )

    assert response.status_code == 400
    assert PaymentOrder.objects.count() == 0


def test_the_dev_gateway_page_is_404_when_it_is_off(client, profile, slot, settings):
    settings.PAYMENTS_DEV_GATEWAY = True
    appointment = booked(profile, slot)
    order = payment_order_open(appointment=appointment, channel="dev", actor=ACTOR)
    settings.PAYMENTS_DEV_GATEWAY = False
    settings.DEBUG = False

    response = client.post(reverse("portal:dev-pay", args=[order.pk]))

    assert response.status_code == 404
    order.refresh_from_db()
    assert order.status == PaymentOrder.Status.CREATED


# -- my appointments ----------------------------------------------------------------------


def test_the_list_shows_each_appointment_with_its_status(client, profile, slot):
    booked(profile, slot)

    body = client.get(reverse("portal:appointments")).content.decode()

    assert "Pending payment" in body
    assert "李医生" in body


def test_a_paid_appointment_shows_its_check_in_qr_code(
    client, profile, slot, dev_gateway
):
    appointment = booked(profile, slot, paid=True)

    body = client.get(
        reverse("portal:appointment", args=[appointment.pk])
    ).content.decode()

    assert '<svg width="' in body
    assert "<title>Check-in QR code</title>" in body
    assert "Paid" in body


def test_cancelling_a_paid_booking_shows_the_refund(
    client, profile, slot, dev_gateway, django_capture_on_commit_callbacks
):
    appointment = booked(profile, slot, paid=True)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("portal:cancel", args=[appointment.pk]), {"reason": ""}
        )

    assert response.status_code == 302
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.CANCELLED
    refund = Refund.objects.get()
    assert refund.amount == 2500
    body = client.get(response.url).content.decode()
    assert "¥25.00" in body
    assert refund.get_status_display() in body
    assert "Cancelled" in body


def test_a_cancel_after_the_deadline_is_refused_on_the_page(
    client, profile, slot, dev_gateway
):
    appointment = booked(profile, slot, paid=True)
    # The visit is two days ahead; this hospital stops patients cancelling a week before.
    BookingRule.objects.update_or_create(
        hospital=slot.session.hospital,
        defaults={"cancel_deadline_minutes": 7 * 24 * 60},
    )

    response = client.post(reverse("portal:cancel", args=[appointment.pk]), {})

    assert response.status_code == 409
    assert "This could not be done" in response.content.decode()
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.BOOKED
    assert Refund.objects.count() == 0


# -- 就诊人 ------------------------------------------------------------------------------


def test_adding_a_profile_goes_back_to_the_booking(client, slot):
    back = reverse("portal:book", args=[slot.pk])

    response = client.post(
        reverse("portal:profile-add"),
        {
            "name": "李四",
            "relation": "child",
            "id_card_no": make_id_card_no(datetime.date(2015, 5, 1)),
            "phone": make_phone(),
            "next": back,
        },
    )

    assert response.status_code == 302
    assert response.url == back
    assert (
        PatientProfile.objects.filter(user=client.session["_auth_user_id"]).count() == 2
    )


def test_a_bad_id_card_number_is_shown_on_the_field(client):
    response = client.post(
        reverse("portal:profile-add"),
        {
            "name": "李四",
            "relation": "child",
            "id_card_no": "123",
            "phone": make_phone(),
        },
    )

    assert response.status_code == 400
    assert 'class="errorlist' in response.content.decode()
    assert PatientProfile.objects.count() == 1


def test_a_profile_with_upcoming_bookings_cannot_be_removed(client, profile, slot):
    booked(profile, slot)

    response = client.post(reverse("portal:profile-delete", args=[profile.pk]))

    assert response.status_code == 409
    assert 'role="alert"' in response.content.decode()
    profile.refresh_from_db()
    assert profile.is_active is True


def test_the_profiles_page_masks_the_id_number(client, profile):
    from accounts.selectors import profile_id_card_no

    body = client.get(reverse("portal:profiles")).content.decode()

    assert "张三" in body
    assert profile_id_card_no(profile) not in body


# -- access -------------------------------------------------------------------------------


def patient_urls(appointment: Appointment, profile: PatientProfile, order_id: int):
    return {
        "GET": [
            reverse("portal:appointment", args=[appointment.pk]),
            reverse("portal:pay", args=[appointment.pk]),
            reverse("portal:dev-pay", args=[order_id]),
        ],
        "POST": [
            reverse("portal:cancel", args=[appointment.pk]),
            reverse("portal:pay", args=[appointment.pk]),
            reverse("portal:dev-pay", args=[order_id]),
            reverse("portal:profile-delete", args=[profile.pk]),
        ],
    }


def test_another_users_ids_are_404_and_change_nothing(profile, slot, dev_gateway):
    appointment = booked(profile, slot)
    order = payment_order_open(appointment=appointment, channel="dev", actor=ACTOR)
    intruder = signed_in(PatientProfileFactory().user)

    urls = patient_urls(appointment, profile, order.pk)
    statuses = [intruder.get(url).status_code for url in urls["GET"]]
    statuses += [
        intruder.post(url, {"channel": "dev"}).status_code for url in urls["POST"]
    ]

    assert statuses == [404] * 7
    appointment.refresh_from_db()
    order.refresh_from_db()
    profile.refresh_from_db()
    assert appointment.status == Appointment.Status.PENDING_PAYMENT
    assert order.status == PaymentOrder.Status.CREATED
    assert profile.is_active is True


@pytest.mark.parametrize("name", ["appointments", "profiles", "profile-add"])
def test_anonymous_visitors_are_sent_to_the_login(name):
    url = reverse(f"portal:{name}")

    response = Client().get(url)

    assert response.status_code == 302
    assert response.url == f"{reverse('portal:login')}?next={url}"


def test_staff_signed_in_to_the_admin_are_refused_the_patient_pages():
    staff = signed_in(StaffFactory())

    assert staff.get(reverse("portal:appointments")).status_code == 403
    assert staff.get(reverse("portal:index")).status_code == 200


def test_every_write_needs_the_csrf_token(profile, slot, dev_gateway):
    appointment = booked(profile, slot)
    order = payment_order_open(appointment=appointment, channel="dev", actor=ACTOR)
    client = Client(enforce_csrf_checks=True)
    client.force_login(profile.user)
    writes = [
        (reverse("portal:book", args=[slot.pk]), {"profile": profile.pk}),
        *(
            (url, {"channel": "dev"})
            for url in patient_urls(appointment, profile, order.pk)["POST"]
        ),
        (reverse("portal:profile-add"), {"name": "x"}),
        (reverse("portal:logout"), {}),
    ]

    statuses = [client.post(url, data).status_code for url, data in writes]

    assert statuses == [403] * len(writes)
    assert Appointment.objects.count() == 1
    order.refresh_from_db()
    assert order.status == PaymentOrder.Status.CREATED
    assert User.objects.filter(pk=profile.user_id).exists()


def _member(level: str) -> PatientProfile:
    profile = PatientProfileFactory()
    profile.user.member_level = MemberLevel.objects.get(code=level)
    profile.user.save(update_fields=["member_level"])
    return profile


def test_a_member_in_their_priority_window_may_book_before_the_release():
    # given a session released to everyone in 5 hours; a VIP books 24 hours early
    release = timezone.now() + datetime.timedelta(hours=5)
    slot = SlotFactory(session__release_at=release)
    url = reverse("portal:doctor", args=[slot.session.doctor_id])
    book = reverse("portal:book", args=[slot.pk])

    # when a VIP and an anonymous visitor open the doctor's page
    vip = signed_in(_member("vip").user).get(url).content.decode()
    anonymous = Client().get(url).content.decode()

    # then the VIP is told their window and may book; the visitor sees when it opens
    assert "As a member you may book 24 hours before" in vip
    assert book in vip
    # the members' share: 20 % of the factory slot's seats, none taken yet
    seats = int(slot.capacity * 0.2)
    assert f"Members' seats left before the release: {seats}." in vip
    assert "seats left before the release" not in anonymous
    opens = timezone.localtime(release).strftime("%Y-%m-%d %H:%M")
    assert f"Not released yet: booking opens at {opens}." in anonymous
    assert book not in anonymous


def test_a_member_before_their_window_sees_when_it_opens():
    # given a session released in 30 hours; a gold member books 2 hours early
    release = timezone.now() + datetime.timedelta(hours=30)
    slot = SlotFactory(session__release_at=release)

    body = signed_in(_member("gold").user).get(
        reverse("portal:doctor", args=[slot.session.doctor_id])
    )

    early = timezone.localtime(release - datetime.timedelta(hours=2))
    assert (
        f"As a member you may book from {early:%Y-%m-%d %H:%M}."
        in body.content.decode()
    )
    assert reverse("portal:book", args=[slot.pk]) not in body.content.decode()
