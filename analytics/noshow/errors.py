"""The error codes of the no-show model's services."""

from enum import StrEnum


class ErrorCode(StrEnum):
    MODEL_FILE_UNUSABLE = "model_file_unusable"
    MODEL_NOT_FOR_BOOKINGS = "model_not_for_bookings"
    NOT_ENOUGH_HISTORY = "not_enough_history"
