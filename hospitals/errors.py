"""The error codes hospitals raises: stable snake_case values the clients switch on.

Each is raised with a human message (gettext) in a common.errors.DomainError subclass;
the API renders {"error": {"code": ..., "message": ..., "fields": {}}}.
"""

from enum import StrEnum


class ErrorCode(StrEnum):
    DEPARTMENT_IN_USE = "department_in_use"
    DEPARTMENT_NOT_FOUND = "department_not_found"
    DOCTOR_IN_USE = "doctor_in_use"
    DOCTOR_NOT_FOUND = "doctor_not_found"
    HOSPITAL_IN_USE = "hospital_in_use"
    HOSPITAL_NOT_FOUND = "hospital_not_found"
    ROOM_IN_USE = "room_in_use"
