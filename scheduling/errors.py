"""The error codes scheduling raises: stable snake_case values the clients switch on.

Each is raised with a human message (gettext) in a common.errors.DomainError subclass;
the API renders {"error": {"code": ..., "message": ..., "fields": {}}}.
"""

from enum import StrEnum


class ErrorCode(StrEnum):
    DATE_IN_PAST = "date_in_past"
    DOCTOR_UNAVAILABLE = "doctor_unavailable"
    INVALID_DAYS = "invalid_days"
    INVALID_SEATS = "invalid_seats"
    INVALID_TIMES = "invalid_times"
    NAIVE_DATETIME = "naive_datetime"
    REASON_REQUIRED = "reason_required"
    ROOM_INACTIVE = "room_inactive"
    ROOM_OCCUPIED = "room_occupied"
    SESSION_ALREADY_STOPPED = "session_already_stopped"
    SESSION_HAS_BOOKINGS = "session_has_bookings"
    SESSION_NOT_FOUND = "session_not_found"
    SESSION_OVER = "session_over"
    SESSION_OVERLAPS = "session_overlaps"
    SESSION_STOPPED = "session_stopped"
    SLOT_CAPACITY_LIMIT = "slot_capacity_limit"
    SLOT_IN_PAST = "slot_in_past"
    SLOT_OUTSIDE_SESSION_DATE = "slot_outside_session_date"
    SLOT_OVER = "slot_over"
    SLOT_OVERLAPS = "slot_overlaps"
    TEMPLATE_OVERLAPS = "template_overlaps"
