"""Patients' password login: setting a password and username, logging in with phone or
username, the lockout it shares with the admin (django-axes), and the reset by SMS code."""

import datetime

import pytest
import time_machine
from axes.models import AccessAttempt
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import SmsCode, User
from accounts.services.tokens import user_tokens_issue
from common.models import OperationLog
from tests.accounts.factories import PatientFactory, StaffFactory

pytestmark = pytest.mark.django_db

PHONE = "13800138000"
PASSWORD = "Clinic-visit-2026"
LOGIN = reverse("api:accounts:login-password")
SET = reverse("api:accounts:password-set")
RESET = reverse("api:accounts:password-reset")
SEND = reverse("api:accounts:sms-send")
ME = reverse("api:accounts:me")


def _client(ip: str = "203.0.113.10") -> APIClient:
    return APIClient(REMOTE_ADDR=ip)


def _login(login: str, password: str, ip: str = "203.0.113.10"):
    return _client(ip).post(
        LOGIN, {"login": login, "password": password}, format="json"
    )


def _as(user: User) -> APIClient:
    client = _client()
    client.credentials(
        HTTP_AUTHORIZATION=f"Bearer {user_tokens_issue(user=user)['access']}"
    )
    return client


@pytest.fixture
def sms_patient() -> User:
    """A patient who signed up by phone and SMS code: no password yet."""
    user = PatientFactory(phone=PHONE, username="p_0123456789abcdef01234567")
    user.set_unusable_password()
    user.save()
    return user


@pytest.fixture
def with_password(sms_patient) -> User:
    response = _as(sms_patient).post(
        SET, {"password": PASSWORD, "username": "xiaowang"}, format="json"
    )
    assert response.status_code == 200, response.json()
    return User.objects.get(pk=sms_patient.pk)


# -- setting a password ---------------------------------------------------------------


def test_a_patient_sets_a_username_and_password_and_logs_in_with_either(sms_patient):
    # when the patient sets a username and a password
    response = _as(sms_patient).post(
        SET, {"password": PASSWORD, "username": "xiaowang"}, format="json"
    )

    # then both log them in, and the password is stored hashed
    assert response.status_code == 200
    user = User.objects.get(pk=sms_patient.pk)
    assert user.username == "xiaowang"
    assert user.password.startswith("md5$")  # the tests' hasher; Django's hashers
    for login in (PHONE, "xiaowang", "XiaoWang"):
        body = _login(login, PASSWORD).json()
        assert body["user"]["id"] == user.pk
        assert body["is_new_user"] is False
        client = _client()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {body['access']}")
        assert client.get(ME).json()["id"] == user.pk
    log = OperationLog.objects.get(action="user_password_set")
    assert (log.actor, log.object_id) == (user, str(user.pk))


@pytest.mark.parametrize(
    ("password", "message"),
    [
        (
            "short1",
            "This password is too short. It must contain at least 8 characters.",
        ),
        ("12345678901", "This password is entirely numeric."),
        ("password123", "This password is too common."),
    ],
)
def test_a_weak_password_is_refused_and_nothing_changes(sms_patient, password, message):
    response = _as(sms_patient).post(SET, {"password": password}, format="json")

    assert response.status_code == 400
    assert message in response.json()["error"]["fields"]["password"]
    user = User.objects.get(pk=sms_patient.pk)
    assert not user.has_usable_password()
    assert not OperationLog.objects.filter(action="user_password_set").exists()


@pytest.mark.parametrize(
    "username", ["13900139000", "ab", "p_mine", "WX_mine", "王小明", "name with space"]
)
def test_a_username_that_could_be_confused_is_refused(sms_patient, username):
    response = _as(sms_patient).post(
        SET, {"password": PASSWORD, "username": username}, format="json"
    )

    assert response.status_code == 400
    assert "username" in response.json()["error"]["fields"]
    user = User.objects.get(pk=sms_patient.pk)
    assert user.username == sms_patient.username
    assert not user.has_usable_password()


def test_a_taken_username_is_refused_whatever_its_case(sms_patient):
    PatientFactory(username="XiaoWang")

    response = _as(sms_patient).post(
        SET, {"password": PASSWORD, "username": "xiaowang"}, format="json"
    )

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "username_taken"
    assert not User.objects.get(pk=sms_patient.pk).has_usable_password()


def test_changing_the_password_needs_the_current_one(with_password):
    client = _as(with_password)

    wrong = client.post(
        SET,
        {"password": "Another-visit-2027", "current_password": "not-it"},
        format="json",
    )
    right = client.post(
        SET,
        {"password": "Another-visit-2027", "current_password": PASSWORD},
        format="json",
    )

    assert wrong.status_code == 400
    assert wrong.json()["error"]["code"] == "current_password_invalid"
    assert right.status_code == 200
    assert _login(PHONE, PASSWORD).status_code == 400
    assert _login(PHONE, "Another-visit-2027").status_code == 200


def test_staff_cannot_set_a_password_through_the_patients_api():
    staff = StaffFactory()
    before = staff.password

    response = _as(staff).post(SET, {"password": PASSWORD}, format="json")

    assert response.status_code == 403
    assert User.objects.get(pk=staff.pk).password == before


# -- logging in ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("login", "password"),
    [(PHONE, "wrong-password"), ("xiaowang", "wrong-password"), ("nobody", PASSWORD)],
)
def test_a_wrong_login_or_password_answers_400_in_the_error_shape(
    with_password, login, password
):
    response = _login(login, password)

    assert response.status_code == 400
    assert response.json() == {
        "error": {
            "code": "invalid_credentials",
            "message": "The phone number, username or password is not correct.",
            "fields": {},
        }
    }


def test_a_patient_without_a_password_cannot_log_in_with_one(sms_patient):
    assert _login(PHONE, "").status_code == 400
    assert _login(PHONE, "anything-at-all").status_code == 400


def test_a_staff_members_right_password_is_refused_like_a_wrong_one():
    staff = StaffFactory(username="nurse1")

    right = _login("nurse1", "Strong-pass-123")
    wrong = _login("nurse1", "wrong-password")

    assert right.status_code == wrong.status_code == 400
    assert right.json() == wrong.json()
    assert AccessAttempt.objects.get(username=staff.username).failures_since_start == 2


def test_ten_failures_lock_the_account_even_for_the_right_password(with_password):
    # given 10 wrong passwords, half typed with the phone, half with the username,
    # each from a different address
    for n in range(settings.AXES_FAILURE_LIMIT):
        _login(PHONE if n % 2 else "xiaowang", "wrong-password", ip=f"198.51.100.{n}")

    # when the right password follows from yet another address
    response = _login(PHONE, PASSWORD, ip="198.51.100.200")

    # then it is refused in the error shape, with no tokens
    assert response.status_code == 429
    body = response.json()
    assert body["error"]["code"] == "login_locked"
    assert "30 minutes" in body["error"]["message"]
    assert "access" not in body


def test_the_password_lock_lasts_thirty_minutes(with_password):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for _ in range(settings.AXES_FAILURE_LIMIT):
            _login("xiaowang", "wrong-password")

    with time_machine.travel(start + datetime.timedelta(minutes=29), tick=False):
        locked = _login("xiaowang", PASSWORD, ip="192.0.2.1")
    with time_machine.travel(start + datetime.timedelta(minutes=31), tick=False):
        open_again = _login("xiaowang", PASSWORD, ip="192.0.2.2")

    assert locked.status_code == 429
    assert open_again.status_code == 200


def test_ten_failures_from_one_address_lock_that_address(with_password):
    for n in range(settings.AXES_FAILURE_LIMIT):
        _login(f"someone{n}", "wrong-password", ip="192.0.2.77")

    same_address = _login(PHONE, PASSWORD, ip="192.0.2.77")
    other_address = _login(PHONE, PASSWORD, ip="192.0.2.78")

    assert same_address.status_code == 429
    assert other_address.status_code == 200


def test_wrong_current_passwords_count_towards_the_lock(with_password):
    client = _as(with_password)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(
            SET,
            {"password": "Another-visit-2027", "current_password": "guess"},
            format="json",
        )

    assert _login(PHONE, PASSWORD, ip="192.0.2.99").status_code == 429


# -- reset by SMS code -----------------------------------------------------------------


def _code(sms_server, ip: str = "203.0.113.10") -> str:
    assert _client(ip).post(SEND, {"phone": PHONE}, format="json").status_code == 200
    return sms_server.last_code(PHONE)


def test_a_reset_with_the_sms_code_sets_a_new_password(with_password, sms_server):
    code = _code(sms_server)

    response = _client().post(
        RESET,
        {"phone": PHONE, "code": code, "password": "Another-visit-2027"},
        format="json",
    )

    assert response.status_code == 204
    assert _login(PHONE, "Another-visit-2027").status_code == 200
    assert _login(PHONE, PASSWORD).status_code == 400
    assert OperationLog.objects.filter(action="user_password_reset").count() == 1
    # the code is used up
    again = _client().post(
        RESET, {"phone": PHONE, "code": code, "password": PASSWORD}, format="json"
    )
    assert again.json()["error"]["code"] == "sms_code_invalid"


def test_a_reset_with_a_wrong_code_changes_nothing_and_counts_the_try(
    with_password, sms_server
):
    code = _code(sms_server)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"

    response = _client().post(
        RESET,
        {"phone": PHONE, "code": wrong, "password": "Another-visit-2027"},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "sms_code_invalid"
    assert SmsCode.objects.get().wrong_tries == 1
    assert _login(PHONE, PASSWORD).status_code == 200
    assert not OperationLog.objects.filter(action="user_password_reset").exists()


def test_a_weak_new_password_does_not_spend_the_code(with_password, sms_server):
    code = _code(sms_server)

    weak = _client().post(
        RESET, {"phone": PHONE, "code": code, "password": "123"}, format="json"
    )
    strong = _client().post(
        RESET,
        {"phone": PHONE, "code": code, "password": "Another-visit-2027"},
        format="json",
    )

    assert weak.status_code == 400
    assert "password" in weak.json()["error"]["fields"]
    assert strong.status_code == 204


def test_a_reset_lifts_the_accounts_lock(with_password, sms_server):
    for n in range(settings.AXES_FAILURE_LIMIT):
        _login("xiaowang", "wrong-password", ip=f"198.51.100.{n}")
    assert _login("xiaowang", PASSWORD, ip="192.0.2.5").status_code == 429

    _client().post(
        RESET,
        {"phone": PHONE, "code": _code(sms_server), "password": "Another-visit-2027"},
        format="json",
    )

    assert _login("xiaowang", "Another-visit-2027", ip="192.0.2.5").status_code == 200


def test_a_reset_for_a_phone_without_an_account_answers_404(db, sms_server):
    response = _client().post(
        RESET,
        {"phone": PHONE, "code": _code(sms_server), "password": PASSWORD},
        format="json",
    )

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "account_not_found"
    assert not User.objects.exists()


def test_the_lockout_message_is_in_chinese_for_a_chinese_client(with_password):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login("xiaowang", "wrong-password")

    response = _client().post(
        LOGIN,
        {"login": "xiaowang", "password": PASSWORD},
        format="json",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )

    assert response.json()["error"]["message"] == (
        "登录失败次数过多，密码登录已锁定 30 分钟；您仍可使用短信验证码登录。"
    )


# -- a new password ends the other login sessions ---------------------------------------


def _signed_in(user: User) -> tuple[APIClient, dict[str, str]]:
    tokens = user_tokens_issue(user=user)
    client = _client()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    return client, tokens


def _refresh(refresh: str):
    return _client().post(
        reverse("api:accounts:token-refresh"), {"refresh": refresh}, format="json"
    )


def test_changing_the_password_ends_the_other_sessions_and_keeps_this_one(
    with_password,
):
    # given: signed in on two phones
    this_phone, this_tokens = _signed_in(with_password)
    other_phone, other_tokens = _signed_in(with_password)
    assert other_phone.get(ME).status_code == 200

    # when: the password is changed on this phone
    response = this_phone.post(
        SET,
        {"password": "Another-visit-2027", "current_password": PASSWORD},
        format="json",
    )

    # then
    assert response.status_code == 200
    assert this_phone.get(ME).status_code == 200
    assert _refresh(this_tokens["refresh"]).status_code == 200
    assert other_phone.get(ME).status_code == 401
    assert _refresh(other_tokens["refresh"]).status_code == 401
    log = OperationLog.objects.filter(action="user_password_set").latest("id")
    # the fixture's own session (setting the first password) and the other phone
    assert log.summary == "other login sessions ended: 2"


def test_a_refused_password_change_ends_no_session(with_password):
    this_phone, _ = _signed_in(with_password)
    other_phone, other_tokens = _signed_in(with_password)

    response = this_phone.post(
        SET,
        {"password": "Another-visit-2027", "current_password": "not-it"},
        format="json",
    )

    assert response.status_code == 400
    assert other_phone.get(ME).status_code == 200
    assert _refresh(other_tokens["refresh"]).status_code == 200


def test_a_reset_by_sms_code_ends_every_session(with_password, sms_server):
    phone, tokens = _signed_in(with_password)
    code = _code(sms_server)

    response = _client().post(
        RESET,
        {"phone": PHONE, "code": code, "password": "Another-visit-2027"},
        format="json",
    )

    assert response.status_code == 204
    assert phone.get(ME).status_code == 401
    assert _refresh(tokens["refresh"]).status_code == 401
    log = OperationLog.objects.get(action="user_password_reset")
    assert log.summary == "login sessions ended: 2"
