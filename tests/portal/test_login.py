"""The portal's SMS login: accounts' services and throttles, a Django session, logout."""

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import SmsCode, User
from tests.accounts.factories import PatientFactory, StaffFactory
from tests.portal.conftest import signed_in

pytestmark = [pytest.mark.django_db, pytest.mark.clock]
PHONE = "13800138000"
LOGIN = reverse("portal:login")


def send(client: Client, phone: str = PHONE):
    return client.post(LOGIN, {"phone": phone, "action": "send"})


def test_a_patient_logs_in_with_the_texted_code_and_gets_a_session(sms_server):
    # given
    client = Client()
    assert send(client).status_code == 200
    code = sms_server.last_code(PHONE)

    # when
    response = client.post(
        LOGIN,
        {"phone": PHONE, "code": code, "action": "login", "next": "/h5/profiles/"},
    )

    # then
    assert response.status_code == 302
    assert response.url == "/h5/profiles/"
    user = User.objects.get()
    assert user.role == User.Role.PATIENT
    assert client.get(reverse("portal:profiles")).status_code == 200
    assert int(client.session["_auth_user_id"]) == user.pk


def test_a_wrong_code_is_shown_on_the_page_and_logs_nobody_in(sms_server):
    client = Client()
    send(client)
    wrong = f"{(int(sms_server.last_code(PHONE)) + 1) % 10**6:06d}"

    response = client.post(LOGIN, {"phone": PHONE, "code": wrong, "action": "login"})

    assert response.status_code == 400
    assert "The code is not correct." in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert User.objects.count() == 0


def test_asking_again_within_the_interval_is_throttled_with_a_message(sms_server):
    client = Client()
    send(client)

    response = send(client)

    assert response.status_code == 429
    assert "please wait a minute" in response.content.decode()
    assert SmsCode.objects.count() == 1
    assert len(sms_server.codes_sent_to(PHONE)) == 1


def test_a_bad_phone_number_is_refused_before_any_text(sms_server):
    response = send(Client(), phone="12345")

    assert response.status_code == 400
    assert sms_server.received == []
    assert SmsCode.objects.count() == 0


def test_log_in_without_a_code_asks_for_it(sms_server):
    response = Client().post(LOGIN, {"phone": PHONE, "action": "login"})

    assert response.status_code == 400
    assert "Enter the 6-digit code." in response.content.decode()


def test_staff_cannot_log_in_to_the_portal(sms_server):
    StaffFactory(phone=PHONE)
    client = Client()
    send(client)

    response = client.post(
        LOGIN,
        {"phone": PHONE, "code": sms_server.last_code(PHONE), "action": "login"},
    )

    assert response.status_code == 403
    assert "staff sign in to the management site" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_an_outside_next_address_is_not_followed(sms_server):
    client = Client()
    send(client)

    response = client.post(
        LOGIN,
        {
            "phone": PHONE,
            "code": sms_server.last_code(PHONE),
            "action": "login",
            "next": "https://evil.example/",
        },
    )

    assert response.status_code == 302
    assert response.url == reverse("portal:appointments")


def test_logout_ends_the_session():
    client = signed_in(PatientFactory())

    response = client.post(reverse("portal:logout"))

    assert response.status_code == 302
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("portal:appointments")).status_code == 302


def test_logout_needs_post():
    client = signed_in(PatientFactory())

    assert client.get(reverse("portal:logout")).status_code == 405
    assert "_auth_user_id" in client.session


def test_the_login_form_is_csrf_protected(sms_server):
    client = Client(enforce_csrf_checks=True)

    response = client.post(LOGIN, {"phone": PHONE, "action": "send"})

    assert response.status_code == 403
    assert sms_server.received == []
