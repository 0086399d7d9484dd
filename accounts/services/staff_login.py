"""Doctors and hospital staff sign in to the clinic-floor API (the workspace).

The password goes through django.contrib.auth.authenticate with the request, so
django-axes counts failures in the same AccessAttempt rows as the admin's login and the
patients' password login: 10 failures per account or per address lock both for 30
minutes (settings AXES_*). With settings.STAFF_REQUIRE_OTP the code of the staff member's
authenticator app (django-otp TOTP device; a one-time recovery code works too, as in the
admin) is required after the password; a wrong code counts as a failed login as well, so
the second factor cannot be guessed faster than the password.

The tokens carry who the caller is on the floor: `role`, `hospital_id` and, for a
doctor, `doctor_id` (the doctor record linked to the account; hospitals.Doctor.user).
"""

from django.conf import settings
from django.contrib.auth import user_login_failed
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django_otp import verify_token
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.errors import ErrorCode
from accounts.models import User
from accounts.services.passwords import InvalidCredentials, _password_check
from accounts.services.tokens import user_tokens_issue
from common.api import client_ip
from common.errors import DomainError, NotAllowed
from common.services import Actor, operation_log_write

STAFF_ROLES = (User.Role.DOCTOR, User.Role.HOSPITAL_STAFF, User.Role.PLATFORM_ADMIN)


class NotAStaffAccount(NotAllowed):
    def __init__(self) -> None:
        super().__init__(
            ErrorCode.NOT_STAFF_ACCOUNT,
            _(
                "This login is for doctors and hospital staff; patients log in in the app."
            ),
        )


def _failed(request: HttpRequest, username: str) -> None:
    """Count a failure with axes (and anything else listening) like a wrong password."""
    user_login_failed.send(
        sender=__name__, credentials={"username": username}, request=request
    )


def _otp_check(*, request: HttpRequest, user: User, token: str) -> None:
    token = (token or "").strip()
    if not token:
        raise DomainError(
            ErrorCode.OTP_REQUIRED,
            _("Enter the 6-digit code from your authenticator app."),
        )
    is_totp = len(token) == 6 and token.isascii() and token.isdigit()
    kind = TOTPDevice if is_totp else StaticDevice
    device = kind.objects.devices_for_user(user, confirmed=True).first()
    if (
        device is None
        and not TOTPDevice.objects.devices_for_user(user, confirmed=True).exists()
    ):
        raise NotAllowed(
            ErrorCode.OTP_DEVICE_REQUIRED,
            _(
                "This account has no authenticator set up; ask a platform "
                "administrator to add one."
            ),
        )
    # verify_token locks the device row, so its throttling and replay guard hold.
    if device is None or verify_token(user, device.persistent_id, token) is None:
        _failed(request, user.username)
        raise DomainError(
            ErrorCode.OTP_INVALID,
            _("The code is not correct. Check the time on your phone and try again."),
        )


def staff_token_claims(user: User) -> dict[str, str | int | None]:
    claims: dict[str, str | int | None] = {
        "role": user.role,
        "hospital_id": user.hospital_id,
    }
    if user.role == User.Role.DOCTOR:
        # The reverse side of hospitals.Doctor.user: read through the relation, so
        # accounts never imports the hospitals app (it sits above accounts).
        doctor = getattr(user, "doctor", None)
        claims["doctor_id"] = doctor.pk if doctor is not None else None
    return claims


def staff_login(
    *, request: HttpRequest, username: str, password: str, otp_token: str = ""
) -> tuple[User, dict[str, str]]:
    """Sign a doctor, hospital staff member or platform admin in; returns (user, tokens).

    Raises InvalidCredentials (400) for a wrong username or password or a disabled
    account, LoginLocked (429) once axes locked the account or the address,
    NotAStaffAccount (403) for a patient's account, and with STAFF_REQUIRE_OTP
    otp_required / otp_invalid (400) or otp_device_required (403).
    """
    username = username.strip() if isinstance(username, str) else ""
    user = _password_check(request=request, username=username, password=password)
    if not user.is_active:
        raise InvalidCredentials()
    if user.role not in STAFF_ROLES:
        raise NotAStaffAccount()
    if settings.STAFF_REQUIRE_OTP:
        _otp_check(request=request, user=user, token=otp_token)
    with transaction.atomic():
        tokens = user_tokens_issue(user=user, claims=staff_token_claims(user))
        operation_log_write(
            actor=Actor(user=user, ip=client_ip(request)),
            action="user_staff_login",
            obj=user,
            summary=f"role={user.role}",
        )
    return user, tokens
