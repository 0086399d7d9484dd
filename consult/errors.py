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
    CONSULT_ADVICE_EMPTY = "consult_advice_empty"
    CONSULT_ADVICE_TOO_LONG = "consult_advice_too_long"
    CONSULT_ADVICE_NOT_ALLOWED = "consult_advice_not_allowed"
    MESSAGE_REPORT_DUPLICATE = "message_report_duplicate"
    MESSAGE_REPORT_OWN_MESSAGE = "message_report_own_message"
    MESSAGE_REPORT_ALREADY_DECIDED = "message_report_already_decided"
    MESSAGE_ALREADY_HIDDEN = "message_already_hidden"
