"""Patients' passwords: setting a username and password, logging in with them, and a reset
by SMS code.

A patient who registered by phone and SMS code may add a password (Django's validators and
hashers) and a username, then log in with their phone or username and the password. Every
password check goes through django.contrib.auth.authenticate, so django-axes counts the
failures and locks the account and the IP like the admin's login (settings AXES_*). That is
why these services take the request: axes reads the client's address from it.
"""

import re

from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth import authenticate, user_login_failed
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from accounts.errors import ErrorCode
from accounts.models import User
from accounts.selectors import user_filter_by_phone, user_get_by_login
from accounts.services.login import (
    NotAPatientAccount,
    phone_field,
    sms_code_check,
    user_check_can_log_in,
)
from accounts.services.tokens import user_login_sessions_revoke
from common.errors import Conflict, DomainError, NotFound, Throttled
from common.services import Actor, operation_log_write

# Starts with a letter (so never a phone number), ASCII only.
USERNAME_RE = re.compile(r"[A-Za-z][A-Za-z0-9_.-]{3,29}", re.ASCII)
# The prefixes of the usernames made up at WeChat and SMS sign-up (accounts.services.login).
_RESERVED_PREFIXES = ("p_", "wx_")


class InvalidCredentials(DomainError):
    def __init__(self) -> None:
        super().__init__(
            ErrorCode.INVALID_CREDENTIALS,
            _("The phone number, username or password is not correct."),
        )


class LoginLocked(Throttled):
    def __init__(self) -> None:
        super().__init__(
            ErrorCode.LOGIN_LOCKED,
            _(
                "Too many failed logins. Password login is locked for %(minutes)d "
                "minutes; you can still log in with an SMS code."
            )
            % {"minutes": settings.AXES_COOLOFF_TIME.total_seconds() // 60},
        )


def _password_check(*, request: HttpRequest, username: str, password: str) -> User:
    """The active account `username` if `password` is its password; counted by axes."""
    user = authenticate(request, username=username, password=password)
    if user is None:
        if getattr(request, "axes_locked_out", False):
            raise LoginLocked()
        raise InvalidCredentials()
    return user


def _validated_password(password: str, user: User) -> str:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from None
    return password


def _validated_username(username: str, user: User) -> str:
    if not USERNAME_RE.fullmatch(username) or username.lower().startswith(
        _RESERVED_PREFIXES
    ):
        raise ValidationError(
            {
                "username": [
                    _(
                        "Use 4 to 30 letters, digits, dots, dashes or underscores, "
                        "starting with a letter."
                    )
                ]
            }
        )
    if User.objects.filter(username__iexact=username).exclude(pk=user.pk).exists():
        raise Conflict(ErrorCode.USERNAME_TAKEN, _("This username is already taken."))
    return username


def user_password_set(
    *,
    request: HttpRequest,
    actor: Actor,
    user: User,
    password: str,
    username: str = "",
    current_password: str = "",
    keep_sid: str = "",
) -> User:
    """Give the patient a password (and optionally a username to log in with).

    Changing a password ends every other login session of the account (a phone left
    signed in, a token someone else got hold of); `keep_sid` is the caller's own session.

    Changing an existing password needs the current one, checked like a login so wrong
    guesses count towards the lockout (outside the write's transaction, so a failure is
    recorded, not rolled back). The new password must pass AUTH_PASSWORD_VALIDATORS.
    """
    user_check_can_log_in(user)
    if user.has_usable_password():
        try:
            _password_check(
                request=request, username=user.username, password=current_password
            )
        except InvalidCredentials:
            raise DomainError(
                ErrorCode.CURRENT_PASSWORD_INVALID,
                _("The current password is not correct."),
            ) from None
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        user_check_can_log_in(user)
        update_fields = ["password"]
        if username and username != user.username:
            user.username = _validated_username(username, user)
            update_fields.append("username")
        user.set_password(_validated_password(password, user))
        user.save(update_fields=update_fields)
        ended = user_login_sessions_revoke(user=user, keep_sid=keep_sid)
        operation_log_write(
            actor=actor,
            action="user_password_set",
            obj=user,
            summary=f"other login sessions ended: {ended}",
        )
    return user


def user_login_with_password(
    *, request: HttpRequest, login: str, password: str
) -> User:
    """Log a patient in with their phone or username and password.

    Raises InvalidCredentials (400) for an unknown login, a wrong password, a disabled or a
    staff account alike, and LoginLocked (429) once axes has locked the account or the IP.
    """
    login = login.strip() if isinstance(login, str) else ""
    user = user_get_by_login(login) if login else None
    # Failures count against the account whichever name was typed, and against what was
    # typed when it names no account.
    username = user.username if user is not None else login
    authenticated = _password_check(
        request=request, username=username, password=password
    )
    try:
        user_check_can_log_in(authenticated)
    except DomainError:
        # A staff member's right password must not be told apart from a wrong one here
        # (staff sign in at the admin, with a second factor); it counts as a failure.
        user_login_failed.send(
            sender=__name__, credentials={"username": username}, request=request
        )
        raise InvalidCredentials() from None
    return authenticated


def user_password_reset(*, actor: Actor, phone: str, code: str, password: str) -> User:
    """Set a new password for the patient with `phone`, proven by the SMS code sent to it
    (accounts.services.login.sms_code_send, with its limits), and end every login session
    of the account.

    The password is checked before the code is used, so a weak one does not spend the
    code; the code is checked outside the write's transaction, so a wrong try is counted,
    not rolled back. A successful reset lifts a lockout of the account (not of the IP).
    """
    phone = phone_field(phone)
    user = user_filter_by_phone(phone).first()
    if user is not None:
        _validated_password(password, user)
    sms_code_check(phone=phone, code=code)
    if user is None:
        raise NotFound(
            ErrorCode.ACCOUNT_NOT_FOUND,
            _("No account uses this phone number; log in with the SMS code instead."),
        )
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        if user.role != User.Role.PATIENT or user.is_staff or user.is_superuser:
            raise NotAPatientAccount()
        user_check_can_log_in(user)
        user.set_password(password)
        user.save(update_fields=["password"])
        # Whoever holds the account's tokens now, it is not provably the phone's owner.
        ended = user_login_sessions_revoke(user=user)
        operation_log_write(
            actor=actor,
            action="user_password_reset",
            obj=user,
            summary=f"login sessions ended: {ended}",
        )
    axes_reset(username=user.username)
    return user
