"""The check-in code: a signed token per appointment that the patient's app shows as a QR
code and the desk (or a kiosk) scans to check the patient in.

The token is `django.core.signing.TimestampSigner` output over the appointment's and
hospital's ids, with its own salt (a token of another purpose, or one made without the
SECRET_KEY, fails the signature). It is accepted from the moment the hospital's check-in
window opens (BookingRule.checkin_open_minutes before the slot) until the slot ends, and
never more than CODE_MAX_AGE after it was made, so a screenshot of an old code is dead.
"""

import base64
import datetime
import io
from dataclasses import dataclass

import segno
from django.core import signing
from django.utils import timezone
from django.utils.translation import gettext as _

from appointments.errors import ErrorCode
from appointments.models import Appointment
from common.errors import DomainError
from scheduling.rules import checkin_window, rule_for_hospital_id

SALT = "appointments.check-in-code"
CODE_MAX_AGE = datetime.timedelta(hours=24)


@dataclass(frozen=True)
class CheckinCode:
    token: str
    valid_from: datetime.datetime
    expires_at: datetime.datetime

    @property
    def png(self) -> bytes:
        return checkin_code_png(self.token)

    @property
    def png_base64(self) -> str:
        return base64.b64encode(self.png).decode("ascii")


@dataclass(frozen=True)
class CheckinClaim:
    """What a valid token says: which appointment, at which hospital."""

    appointment_id: int
    hospital_id: int


def _signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=SALT)


def checkin_code_window(
    appointment: Appointment,
) -> tuple[datetime.datetime, datetime.datetime]:
    rule = rule_for_hospital_id(appointment.hospital_id)
    return checkin_window(rule, appointment.visit_starts_at, appointment.visit_ends_at)


def checkin_code_issue(*, appointment: Appointment) -> CheckinCode:
    """A fresh code for the appointment (any number may exist; each expires alike)."""
    token = _signer().sign_object(
        {"a": appointment.pk, "h": appointment.hospital_id}, compress=True
    )
    valid_from, expires_at = checkin_code_window(appointment)
    return CheckinCode(token=token, valid_from=valid_from, expires_at=expires_at)


def checkin_code_png(token: str, *, scale: int = 6) -> bytes:
    """The QR code of `token` as a PNG (black on white, 4-module quiet zone)."""
    out = io.BytesIO()
    segno.make(token, error="m", micro=False).save(
        out, kind="png", scale=scale, border=4
    )
    return out.getvalue()


class CheckinCodeInvalid(DomainError):
    def __init__(self) -> None:
        super().__init__(
            ErrorCode.CHECKIN_CODE_INVALID,
            _("This is not a valid check-in code."),
        )


def checkin_code_read(token: str) -> CheckinClaim:
    """The claim of a token with a good signature no older than CODE_MAX_AGE, or raise
    CheckinCodeInvalid (forged, altered, of another purpose) / checkin_code_expired."""
    try:
        data = _signer().unsign_object(token, max_age=CODE_MAX_AGE)
    except signing.SignatureExpired:
        raise DomainError(
            ErrorCode.CHECKIN_CODE_EXPIRED,
            _("This check-in code has expired; show a new one."),
        ) from None
    except signing.BadSignature:
        raise CheckinCodeInvalid() from None
    try:
        return CheckinClaim(appointment_id=int(data["a"]), hospital_id=int(data["h"]))
    except (KeyError, TypeError, ValueError):
        raise CheckinCodeInvalid() from None


def checkin_code_check_time(
    *, appointment: Appointment, now: datetime.datetime | None = None
) -> None:
    """Refuse a code outside its appointment's check-in window."""
    now = now or timezone.now()
    opens, closes = checkin_code_window(appointment)
    if now < opens:
        raise DomainError(
            ErrorCode.CHECKIN_CODE_NOT_YET_VALID,
            _("Check-in opens at %(time)s.")
            % {"time": timezone.localtime(opens).strftime("%H:%M")},
        )
    if now >= closes:
        raise DomainError(
            ErrorCode.CHECKIN_CODE_EXPIRED,
            _("This check-in code has expired; show a new one."),
        )


def checkin_code_svg(token: str, *, title: str = "", scale: int = 5) -> str:
    """The QR code of `token` as inline SVG markup (for server-rendered pages): black on
    white, a 4-module quiet zone, `title` as its accessible name."""
    return segno.make(token, error="m", micro=False).svg_inline(
        scale=scale, border=4, title=title or None, omitsize=False
    )
