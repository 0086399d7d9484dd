"""The error codes the consult services raise (common.errors renders them)."""

from enum import StrEnum


class ErrorCode(StrEnum):
    CONSULT_NOT_FOUND = "consult_not_found"
    CONSULT_MESSAGE_NOT_FOUND = "consult_message_not_found"
    QUICK_REPLY_NOT_FOUND = "quick_reply_not_found"
    CONSULT_PROFILE_NOT_FOUND = "consult_profile_not_found"
    DOCTOR_NOT_OFFERING_CONSULTS = "doctor_not_offering_consults"
    CONSULT_DAILY_CAP_REACHED = "consult_daily_cap_reached"
    CONSULT_NOT_OPEN = "consult_not_open"
    CONSULT_NOT_CLOSED = "consult_not_closed"
    CONSULT_ALREADY_RATED = "consult_already_rated"
    CONSULT_MESSAGE_EMPTY = "consult_message_empty"
    CONSULT_MESSAGE_TOO_LONG = "consult_message_too_long"
    RECALL_WINDOW_PASSED = "recall_window_passed"
    MESSAGE_ALREADY_RECALLED = "message_already_recalled"
    QUICK_REPLY_LIMIT_REACHED = "quick_reply_limit_reached"
    # consult images (consult.images, consult.services.images)
    CONSULT_IMAGE_MISSING = "consult_image_missing"
    CONSULT_IMAGE_EMPTY = "consult_image_empty"
    CONSULT_IMAGE_TOO_LARGE = "consult_image_too_large"
    CONSULT_IMAGE_TYPE_NOT_ALLOWED = "consult_image_type_not_allowed"
    CONSULT_IMAGE_UNREADABLE = "consult_image_unreadable"
    CONSULT_IMAGE_TOO_MANY_PIXELS = "consult_image_too_many_pixels"
    CONSULT_IMAGE_LIMIT_REACHED = "consult_image_limit_reached"
    CONSULT_IMAGE_NOT_FOUND = "consult_image_not_found"
    CONSULT_IMAGE_PATIENT_ONLY = "consult_image_patient_only"
    CONSULT_NOT_AWAITING_PAYMENT = "consult_not_awaiting_payment"
    CONSULT_PAYMENT_TIME_EXPIRED = "consult_payment_time_expired"
