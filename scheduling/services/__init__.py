"""Scheduling writes: booking rules, weekly templates, sessions and slots, release, staff edits.

Every write that staff make goes through here and leaves an operation-log row. The
availability cache (see scheduling.selectors) is refreshed by bumping a version number
after commit; booking code elsewhere calls `availability_changed` the same way.

Split by concern: availability (cache versions), setup (rules and templates), generation
(sessions from templates, release), sessions (staff edits of sessions), seats (extra slots
and seats) and rooms (a room holds one session at a time).
"""

from scheduling.services.availability import (
    _availability_changed_on_commit,
    availability_changed,
    availability_doctor_version_key,
    availability_hospital_changed,
    availability_versions,
)
from scheduling.services.generation import (
    DEFAULT_SEATS_PER_SLOT,
    DEFAULT_SLOT_MINUTES,
    MAX_GENERATE_DAYS,
    _generate_one,
    schedule_template_generate,
    sessions_generate,
    sessions_release,
)
from scheduling.services.release_queue import (
    session_release_demand_record,
    session_release_queue_set,
    sessions_release_queue_mark_auto,
)
from scheduling.services.rooms import (
    room_claim,
    room_free_check,
    room_lock,
    template_room_check,
)
from scheduling.services.seats import (
    session_add_slot,
    session_add_slot_check,
    slot_add_seats,
)
from scheduling.services.sessions import (
    KEEP,
    MAX_SLOT_CAPACITY,
    session_create,
    session_create_check,
    session_edit_check,
    session_overlap_check,
    session_update,
)
from scheduling.services.setup import (
    booking_rule_create_default,
    booking_rule_save,
    hospital_created_booking_rule,
    schedule_template_check,
    schedule_template_save,
)
from scheduling.services.stopping import session_mark_stopped

__all__ = [
    "KEEP",
    "room_claim",
    "room_free_check",
    "room_lock",
    "template_room_check",
    "session_mark_stopped",
    "DEFAULT_SEATS_PER_SLOT",
    "DEFAULT_SLOT_MINUTES",
    "MAX_GENERATE_DAYS",
    "MAX_SLOT_CAPACITY",
    "_availability_changed_on_commit",
    "_generate_one",
    "availability_changed",
    "availability_doctor_version_key",
    "availability_hospital_changed",
    "availability_versions",
    "booking_rule_create_default",
    "booking_rule_save",
    "hospital_created_booking_rule",
    "schedule_template_check",
    "schedule_template_generate",
    "schedule_template_save",
    "session_add_slot",
    "session_add_slot_check",
    "session_create",
    "session_create_check",
    "session_edit_check",
    "session_overlap_check",
    "session_release_demand_record",
    "session_release_queue_set",
    "sessions_release_queue_mark_auto",
    "session_update",
    "sessions_generate",
    "sessions_release",
    "slot_add_seats",
]
