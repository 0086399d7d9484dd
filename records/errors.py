"""The error codes the records services raise (common.errors renders them)."""

from enum import StrEnum

from django.utils.translation import gettext_lazy as _

from common.errors import Conflict, DomainError


class ErrorCode(StrEnum):
    APPOINTMENT_NOT_CHECKED_IN = "appointment_not_checked_in"
    RECORD_LOCKED = "record_locked"
    RECORD_NOT_LOCKED = "record_not_locked"
    RECORD_EMPTY = "record_empty"
    INVALID_ICD10_CODE = "invalid_icd10_code"
    ATTACHMENT_TOO_LARGE = "attachment_too_large"
    ATTACHMENT_TYPE_NOT_ALLOWED = "attachment_type_not_allowed"
    ATTACHMENT_TYPE_MISMATCH = "attachment_type_mismatch"
    PDF_FONT_MISSING = "pdf_font_missing"


class RecordLocked(Conflict):
    """A locked version was about to change; raised by the services and the model guard."""

    def __init__(self) -> None:
        super().__init__(
            ErrorCode.RECORD_LOCKED,
            _("This record is signed or locked: write a correction instead."),
        )


class AttachmentRefused(DomainError):
    status_code = 400
