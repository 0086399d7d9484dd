"""Staff login at the admin: lockout (django-axes), TOTP second factor, session length."""

import datetime

import pytest
import time_machine
from axes.models import AccessAttempt
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User
from tests.accounts.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "Strong-pass-123"
LOGIN = reverse("admin:login")
INDEX = reverse("admin:index")


def _login(client: Client, username: str, password: str, **extra):
    return client.post(
        LOGIN, {"username": username, "password": password, "next": INDEX, **extra}
    )


def _client(ip: str = "203.0.113.7") -> Client:
    return Client(REMOTE_ADDR=ip)


def _signed_in(client: Client) -> bool:
    return client.get(INDEX).status_code == 200


def _platform_admin() -> User:
    return UserFactory(
        username="platform", role=User.Role.PLATFORM_ADMIN, is_staff=True
    )


def test_the_right_password_opens_the_admin():
    staff = StaffFactory()
    client = _client()

    response = _login(client, staff.username, PASSWORD)

    assert response.status_code == 302
    assert _signed_in(client)


def test_ten_failures_lock_the_account_even_for_the_right_password():
    # given a staff member whose password was guessed wrong 10 times
    staff = StaffFactory()
    client = _client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, staff.username, "wrong-guess")

    # when the right password follows
    response = _login(client, staff.username, PASSWORD)

    # then the login is refused and no session opened
    assert response.status_code == 429
    assert "Logins are locked" in response.content.decode()
    assert not _signed_in(client)


def test_nine_failures_do_not_lock():
    staff = StaffFactory()
    client = _client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _login(client, staff.username, "wrong-guess")

    response = _login(client, staff.username, PASSWORD)

    assert response.status_code == 302
    assert _signed_in(client)


def test_the_account_lock_holds_from_another_ip_for_thirty_minutes():
    # given a locked account
    staff = StaffFactory()
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for _ in range(settings.AXES_FAILURE_LIMIT):
            _login(_client("198.51.100.1"), staff.username, "wrong-guess")

    # when the right password comes from another address 29 minutes later
    with time_machine.travel(start + datetime.timedelta(minutes=29), tick=False):
        still_locked = _login(_client("198.51.100.2"), staff.username, PASSWORD)
    # and again 31 minutes after the last failure
    later = _client("198.51.100.3")
    with time_machine.travel(start + datetime.timedelta(minutes=31), tick=False):
        unlocked = _login(later, staff.username, PASSWORD)

    # then it is refused while the cool-off lasts, and accepted after it
    assert still_locked.status_code == 429
    assert unlocked.status_code == 302


def test_ten_failures_from_one_ip_lock_that_ip_for_every_account():
    # given 10 failed logins from one address, each against a different account
    for n in range(settings.AXES_FAILURE_LIMIT):
        _login(_client("192.0.2.50"), f"nobody{n}", "wrong-guess")
    staff = StaffFactory()

    # when someone else logs in with their right password from that address
    from_locked_ip = _login(_client("192.0.2.50"), staff.username, PASSWORD)
    elsewhere = _client("192.0.2.51")
    from_another_ip = _login(elsewhere, staff.username, PASSWORD)

    # then only the locked address is refused
    assert from_locked_ip.status_code == 429
    assert from_another_ip.status_code == 302


def test_a_platform_admin_unlocks_the_account_in_the_admin():
    # given a locked staff account
    staff = StaffFactory()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(_client(), staff.username, "wrong-guess")
    attempts = list(
        AccessAttempt.objects.filter(username=staff.username).values_list(
            "pk", flat=True
        )
    )
    assert attempts
    admin_client = Client()
    admin_client.force_login(_platform_admin())

    # when a platform admin deletes its access attempts with the admin's action
    listing = admin_client.get(reverse("admin:axes_accessattempt_changelist"))
    response = admin_client.post(
        reverse("admin:axes_accessattempt_changelist"),
        {"action": "delete_selected", "_selected_action": attempts, "post": "yes"},
    )

    # then the account opens again with the right password
    assert listing.status_code == 200
    assert response.status_code == 302
    assert not AccessAttempt.objects.filter(username=staff.username).exists()
    client = _client("203.0.113.99")
    assert _login(client, staff.username, PASSWORD).status_code == 302
    assert _signed_in(client)


def test_hospital_staff_cannot_unlock_accounts():
    staff = StaffFactory()
    client = Client()
    client.force_login(staff)

    response = client.get(reverse("admin:axes_accessattempt_changelist"))

    assert response.status_code == 403


def test_an_admin_session_lasts_at_most_eight_hours():
    staff = StaffFactory()
    client = _client()

    _login(client, staff.username, PASSWORD)

    assert client.session.get_expiry_age() <= 8 * 3600
    assert client.cookies[settings.SESSION_COOKIE_NAME]["max-age"] <= 8 * 3600


# -- second factor ---------------------------------------------------------------------


@pytest.fixture
def require_otp(settings):
    settings.STAFF_REQUIRE_OTP = True


def _device(user: User) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="phone", confirmed=True)


def _code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, digits=device.digits):06d}"


@pytest.mark.usefixtures("require_otp")
def test_with_otp_required_the_password_alone_does_not_open_the_admin():
    staff = StaffFactory()
    _device(staff)
    client = _client()

    response = _login(client, staff.username, PASSWORD)

    assert response.status_code == 200
    assert "Enter the 6-digit code from your authenticator app." in (
        response.content.decode()
    )
    assert not _signed_in(client)


@pytest.mark.usefixtures("require_otp")
def test_with_otp_required_a_wrong_code_is_refused():
    staff = StaffFactory()
    device = _device(staff)
    client = _client()
    wrong = f"{(int(_code(device)) + 1) % 1_000_000:06d}"

    response = _login(client, staff.username, PASSWORD, otp_token=wrong)

    assert response.status_code == 200
    assert not _signed_in(client)


@pytest.mark.usefixtures("require_otp")
def test_with_otp_required_password_and_code_open_the_admin():
    staff = StaffFactory()
    device = _device(staff)
    client = _client()

    response = _login(client, staff.username, PASSWORD, otp_token=_code(device))

    assert response.status_code == 302
    assert _signed_in(client)


@pytest.mark.usefixtures("require_otp")
def test_with_otp_required_a_staff_member_without_a_device_cannot_sign_in():
    staff = StaffFactory()
    client = _client()

    response = _login(client, staff.username, PASSWORD, otp_token="123456")

    assert response.status_code == 200
    assert not _signed_in(client)


@pytest.mark.usefixtures("require_otp")
def test_with_otp_required_a_session_without_the_code_has_no_admin_access():
    # given a session logged in by password only (as before the setting was turned on)
    client = _client()
    client.force_login(StaffFactory())

    response = client.get(INDEX)

    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


@pytest.mark.usefixtures("require_otp")
def test_a_platform_admin_enrols_a_device_and_sees_its_qr_code():
    # given a verified platform admin session
    admin = _platform_admin()
    client = _client()
    assert (
        _login(
            client, admin.username, PASSWORD, otp_token=_code(_device(admin))
        ).status_code
        == 302
    )
    staff = StaffFactory()

    # when they add a TOTP device for a staff member
    response = client.post(
        reverse("admin:otp_totp_totpdevice_add"),
        {
            "user": staff.pk,
            "name": "phone",
            "key": TOTPDevice().key,
            "step": 30,
            "t0": 0,
            "digits": 6,
            "tolerance": 1,
            "drift": 0,
            "throttling_failure_count": 0,
            "confirmed": "on",
        },
    )

    # then the device exists and its QR code can be shown to the staff member
    assert response.status_code == 302
    device = TOTPDevice.objects.get(user=staff)
    qrcode = client.get(reverse("admin:otp_totp_totpdevice_qrcode", args=[device.pk]))
    assert qrcode.status_code == 200
    assert qrcode["Content-Type"].startswith("image/")


@pytest.mark.usefixtures("require_otp")
def test_the_second_step_speaks_chinese():
    staff = StaffFactory()
    _device(staff)
    client = Client(REMOTE_ADDR="203.0.113.7", HTTP_ACCEPT_LANGUAGE="zh-hans")

    page = client.get(LOGIN)
    refused = _login(client, staff.username, PASSWORD)

    assert "动态验证码" in page.content.decode()
    assert "请输入身份验证器应用中的 6 位动态码。" in refused.content.decode()


def test_the_lockout_and_authenticator_admins_have_chinese_names():
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(_platform_admin())

    page = client.get(INDEX).content.decode()

    assert "登录锁定" in page
    assert "登录尝试" in page
    assert "身份验证器（二次验证）" in page
