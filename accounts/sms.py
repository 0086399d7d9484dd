"""The SMS client: the only module that sends text messages.

settings.SMS_BACKEND picks the backend:
- "console" (the default) writes the message to the log. This is the only place a login
  code may ever be logged, and it is meant for development.
- "http" posts JSON to settings.SMS_HTTP_URL with a bearer token (settings.SMS_HTTP_TOKEN):

      POST {"phone": "13800138000", "sign_name": "...", "template": "login_code",
            "params": {"code": "123456", "minutes": 5}}
      -> 2xx {"code": "OK", "message_id": "..."}

  Notifications use the same endpoint with the "notification" template, whose one
  parameter is the whole text: {"template": "notification", "params": {"text": "..."}}.

  Any other answer, or no answer, raises SmsUnavailable.

A notification's text is never logged (it may name the patient and the visit); the console
backend logs only the masked phone and the length.
"""

import logging
from typing import Protocol

import requests
from django.conf import settings
from django.utils.translation import gettext as _

from accounts.errors import ErrorCode
from common.crypto import mask
from common.errors import ServiceUnavailable

logger = logging.getLogger(__name__)

# A provider that has not answered within this time is treated as down.
HTTP_TIMEOUT_SECONDS = 5


class SmsUnavailable(ServiceUnavailable):
    def __init__(self) -> None:
        super().__init__(
            ErrorCode.SMS_UNAVAILABLE,
            _("The text message could not be sent, please try again later."),
        )


class SmsBackend(Protocol):
    def send_login_code(self, *, phone: str, code: str, ttl_minutes: int) -> None: ...

    def send_notification(self, *, phone: str, text: str) -> None: ...


class ConsoleSmsBackend:
    def send_login_code(self, *, phone: str, code: str, ttl_minutes: int) -> None:
        logger.info(
            "SMS login code for %s: %s (valid %s minutes)",
            mask(phone, keep_start=3, keep_end=4),
            code,
            ttl_minutes,
        )

    def send_notification(self, *, phone: str, text: str) -> None:
        logger.info(
            "SMS notification to %s (%d characters)",
            mask(phone, keep_start=3, keep_end=4),
            len(text),
        )


class HttpSmsBackend:
    def __init__(self, *, url: str, token: str, sign_name: str) -> None:
        self.url = url
        self.token = token
        self.sign_name = sign_name

    def send_login_code(self, *, phone: str, code: str, ttl_minutes: int) -> None:
        self._post(
            phone=phone,
            template="login_code",
            params={"code": code, "minutes": ttl_minutes},
        )

    def send_notification(self, *, phone: str, text: str) -> None:
        self._post(phone=phone, template="notification", params={"text": text})

    def _post(self, *, phone: str, template: str, params: dict) -> None:
        payload = {
            "phone": phone,
            "sign_name": self.sign_name,
            "template": template,
            "params": params,
        }
        try:
            response = requests.post(
                self.url,
                json=payload,
                headers={"Authorization": f"Bearer {self.token}"},
                timeout=HTTP_TIMEOUT_SECONDS,
            )
        except requests.RequestException as exc:
            logger.warning("SMS provider unreachable: %s", exc.__class__.__name__)
            raise SmsUnavailable() from None
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if (
            not 200 <= response.status_code < 300
            or not isinstance(answer, dict)
            or answer.get("code") != "OK"
        ):
            provider_code = answer.get("code") if isinstance(answer, dict) else None
            logger.warning(
                "SMS provider refused the message: status=%s code=%r",
                response.status_code,
                provider_code,
            )
            raise SmsUnavailable()


def get_backend() -> SmsBackend:
    if settings.SMS_BACKEND == "http":
        return HttpSmsBackend(
            url=settings.SMS_HTTP_URL,
            token=settings.SMS_HTTP_TOKEN,
            sign_name=settings.SMS_SIGN_NAME,
        )
    return ConsoleSmsBackend()


def send_login_code(*, phone: str, code: str) -> None:
    """Send a login code with the configured backend. Raises SmsUnavailable."""
    ttl_minutes = max(1, settings.SMS_CODE_TTL_SECONDS // 60)
    get_backend().send_login_code(phone=phone, code=code, ttl_minutes=ttl_minutes)


def send_notification(*, phone: str, text: str) -> None:
    """Send a notification text with the configured backend. Raises SmsUnavailable."""
    get_backend().send_notification(phone=phone, text=text)
