"""Errors a business rule raises. Services raise them; common.api renders them."""

from enum import StrEnum

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    """A business rule refused the request."""

    status_code = 400

    def __init__(self, code: str, message: str, fields: dict | None = None) -> None:
        super().__init__(str(message))
        self.code = code  # stable snake_case; the client switches on it
        self.message = message  # human readable; shown to the patient
        self.fields = fields or {}


class NotAllowed(DomainError):
    status_code = 403


class NotFound(DomainError):
    status_code = 404

    def __init__(self, code: str = "not_found", message: str = _("Not found.")) -> None:
        super().__init__(code, message)


class Conflict(DomainError):
    status_code = 409


class Unprocessable(DomainError):
    status_code = 422


class Throttled(DomainError):
    status_code = 429


class ServiceUnavailable(DomainError):
    """An external system (WeChat, SMS, a payment channel) did not answer usefully."""

    status_code = 503


# The codes common itself raises (each app lists its own in <app>/errors.py).
class ErrorCode(StrEnum):
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"
    INVALID_IDEMPOTENCY_KEY = "invalid_idempotency_key"
    DATABASE_UNAVAILABLE = "database_unavailable"
    BUSY = "server_busy"
    MALFORMED_REQUEST = "malformed_request"
    REQUEST_TOO_LARGE = "request_too_large"
