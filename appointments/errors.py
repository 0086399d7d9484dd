"""The error codes appointments raises: stable snake_case values the clients switch on.

Each is raised with a human message (gettext) in a common.errors.DomainError subclass;
the API renders {"error": {"code": ..., "message": ..., "fields": {}}}.
"""

from enum import StrEnum


class ErrorCode(StrEnum):
    ALREADY_BOOKED = "already_booked"
    ALREADY_WAITING = "already_waiting"
    APPOINTMENT_NOT_FOUND = "appointment_not_found"
    APPOINTMENT_STATE_CHANGED = "appointment_state_changed"
    BOOKING_CLOSED = "booking_closed"
    CANCEL_DEADLINE_PASSED = "cancel_deadline_passed"
    CHECKIN_CODE_EXPIRED = "checkin_code_expired"
    CHECKIN_CODE_INVALID = "checkin_code_invalid"
    CHECKIN_CODE_NOT_YET_VALID = "checkin_code_not_yet_valid"
    CHECKIN_WINDOW_CLOSED = "checkin_window_closed"
    DAILY_LIMIT_REACHED = "daily_limit_reached"
    DOCTOR_DAILY_LIMIT_REACHED = "doctor_daily_limit_reached"
    NOTIFICATION_NOT_FOUND = "notification_not_found"
    NOT_CANCELLABLE = "not_cancellable"
    NOT_CHECKABLE = "not_checkable"
    NOT_CONFIRMABLE = "not_confirmable"
    NOT_RELEASED_YET = "not_released_yet"
    NOT_CALLED = "not_called"
    NOT_UPCOMING = "not_upcoming"
    NOT_VISIT_DAY = "not_visit_day"
    NOT_WAITING = "not_waiting"
    PRIORITY_SEATS_TAKEN = "priority_seats_taken"
    PROFILE_NOT_YOURS = "profile_not_yours"
    QUEUE_EMPTY = "queue_empty"
    RELEASED_UNCONFIRMED = "released_unconfirmed"
    SEATS_AVAILABLE = "seats_available"
    SEAT_NO_LONGER_AVAILABLE = "seat_no_longer_available"
    SLOT_BUSY = "slot_busy"
    SLOT_FULL = "slot_full"
    SLOT_NOT_FOUND = "slot_not_found"
    TRANSITION_NOT_ALLOWED = "transition_not_allowed"
    STOP_REQUEST_DECIDED = "stop_request_decided"
    STOP_REQUEST_OPEN = "stop_request_open"
    VISIT_STARTED = "visit_started"
    WAITLIST_ENTRY_NOT_FOUND = "waitlist_entry_not_found"
    WAITLIST_NOT_EMPTY = "waitlist_not_empty"
    WEEKLY_LIMIT_REACHED = "weekly_limit_reached"
