"""The clinic workspace's sign-in for doctors and staff: claims, lockout, second factor."""

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from accounts.models import User
from common.models import OperationLog
from tests.accounts.factories import PatientFactory, StaffFactory, UserFactory
from tests.hospitals.factories import DoctorFactory

pytestmark = pytest.mark.django_db

PASSWORD = "Strong-pass-123"
URL = reverse("api:accounts:staff-login")


def _client(ip: str = "203.0.113.7") -> APIClient:
    return APIClient(REMOTE_ADDR=ip)


def _login(client: APIClient, username: str, password: str = PASSWORD, **extra):
    return client.post(
        URL, {"username": username, "password": password, **extra}, format="json"
    )


def _doctor_user() -> User:
    doctor = DoctorFactory()
    user = UserFactory(
        username="dr_wang", role=User.Role.DOCTOR, hospital=doctor.hospital
    )
    doctor.user = user
    doctor.save()
    return user


def test_a_doctor_gets_tokens_with_role_hospital_and_doctor_claims():
    # given
    user = _doctor_user()

    # when
    response = _login(_client(), user.username)

    # then
    assert response.status_code == 200
    body = response.json()
    access = AccessToken(body["access"])
    assert access["role"] == "doctor"
    assert access["hospital_id"] == user.hospital_id
    assert access["doctor_id"] == user.doctor.pk
    assert body["role"] == "doctor"
    assert body["doctor_id"] == user.doctor.pk
    assert body["hospital_id"] == user.hospital_id
    assert OperationLog.objects.filter(
        action="user_staff_login", object_id=str(user.pk)
    ).exists()


def test_hospital_staff_get_their_hospital_and_no_doctor():
    staff = StaffFactory()

    response = _login(_client(), staff.username)

    assert response.status_code == 200
    access = AccessToken(response.json()["access"])
    assert access["role"] == "hospital_staff"
    assert access["hospital_id"] == staff.hospital_id
    assert "doctor_id" not in access
    assert response.json()["doctor_id"] is None


def test_the_claims_survive_a_refresh_and_the_token_calls_the_api():
    staff = StaffFactory()
    tokens = _login(_client(), staff.username).json()

    refreshed = _client().post(
        reverse("api:accounts:token-refresh"),
        {"refresh": tokens["refresh"]},
        format="json",
    )
    client = _client()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {refreshed.json()['access']}")
    me = client.get(reverse("api:accounts:me"))

    assert refreshed.status_code == 200
    assert AccessToken(refreshed.json()["access"])["hospital_id"] == staff.hospital_id
    assert RefreshToken(refreshed.json()["refresh"])["role"] == "hospital_staff"
    assert me.status_code == 200
    assert me.json()["role"] == "hospital_staff"


def test_a_patient_is_refused_with_a_clear_error():
    patient = PatientFactory()

    response = _login(_client(), patient.username)

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "not_staff_account"
    assert "access" not in response.json()


def test_a_wrong_password_is_refused_and_counted():
    staff = StaffFactory()

    response = _login(_client(), staff.username, "wrong-guess")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_credentials"
    assert AccessAttempt.objects.get(username=staff.username).failures_since_start == 1


def test_ten_failures_lock_the_account_for_the_right_password_too():
    staff = StaffFactory()
    for n in range(settings.AXES_FAILURE_LIMIT):
        _login(_client(f"198.51.100.{n + 1}"), staff.username, "wrong-guess")

    response = _login(_client("198.51.100.99"), staff.username)

    assert response.status_code == 429
    assert response.json()["error"]["code"] == "login_locked"


def test_failures_at_the_admin_count_here_too():
    # given nine failures at the admin's login and one here, from one address
    staff = StaffFactory()
    admin = APIClient(REMOTE_ADDR="192.0.2.9")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        admin.post(
            reverse("admin:login"), {"username": staff.username, "password": "x"}
        )
    _login(_client("192.0.2.10"), staff.username, "wrong-guess")

    # when the right password comes here
    response = _login(_client("192.0.2.11"), staff.username)

    # then the account is locked: the same AccessAttempt records count
    assert response.status_code == 429


def test_nine_failures_do_not_lock():
    staff = StaffFactory()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _login(_client(), staff.username, "wrong-guess")

    assert _login(_client(), staff.username).status_code == 200


def test_a_disabled_account_is_refused_like_a_wrong_password():
    staff = StaffFactory(is_active=False)

    response = _login(_client(), staff.username)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_credentials"


# -- second factor ---------------------------------------------------------------------


@pytest.fixture
def require_otp(settings):
    settings.STAFF_REQUIRE_OTP = True


def _device(user: User) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="phone", confirmed=True)


def _code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, digits=device.digits):06d}"


@pytest.mark.usefixtures("require_otp")
def test_with_otp_required_the_password_alone_gets_no_tokens():
    staff = StaffFactory()
    _device(staff)

    response = _login(_client(), staff.username)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "otp_required"


@pytest.mark.usefixtures("require_otp")
def test_with_otp_required_the_right_code_signs_in():
    staff = StaffFactory()
    device = _device(staff)

    response = _login(_client(), staff.username, otp_token=_code(device))

    assert response.status_code == 200
    assert AccessToken(response.json()["access"])["role"] == "hospital_staff"


@pytest.mark.usefixtures("require_otp")
def test_a_wrong_code_is_refused_and_counts_towards_the_lockout():
    staff = StaffFactory()
    device = _device(staff)
    wrong = f"{(int(_code(device)) + 1) % 1_000_000:06d}"

    response = _login(_client(), staff.username, otp_token=wrong)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "otp_invalid"
    assert AccessAttempt.objects.get(username=staff.username).failures_since_start == 1


@pytest.mark.usefixtures("require_otp")
def test_without_a_device_the_login_is_refused():
    staff = StaffFactory()

    response = _login(_client(), staff.username, otp_token="123456")

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "otp_device_required"
