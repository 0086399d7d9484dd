"""The error codes analytics raises: stable snake_case values the callers switch on.

Each is raised with a human message (gettext) in a common.errors.DomainError.
"""

from enum import StrEnum


class ErrorCode(StrEnum):
    # The queue model (analytics.queueing)
    INVALID_QUEUE_INPUT = "invalid_queue_input"
    QUEUE_UNSTABLE = "queue_unstable"
    # The clinic simulation (analytics.simulation)
    INVALID_SIMULATION_INPUT = "invalid_simulation_input"
