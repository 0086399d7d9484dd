"""Error codes of medical records (the `code` of the error shape)."""

from enum import StrEnum


class ErrorCode(StrEnum):
    PDF_FONT_MISSING = "pdf_font_missing"
