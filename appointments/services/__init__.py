"""Appointment services: every write to appointments and the waitlist goes through here."""

from appointments.services.booking import appointment_book
from appointments.services.checkin_by_code import appointment_check_in_by_code
from appointments.services.lifecycle import (
    appointment_cancel,
    appointment_check_in,
    appointment_complete,
    sessions_mark_no_shows,
)
from appointments.services.noshow_release import (
    appointment_release_unconfirmed,
    unconfirmed_release_sweep,
)
from appointments.services.noshow_risk import (
    appointment_confirm,
    appointment_risk_record,
)
from appointments.services.notify import appointment_notify
from appointments.services.payment import (
    appointment_expire,
    appointment_mark_paid,
)
from appointments.services.queue import (
    queue_call_next,
    queue_mark_seen,
    queue_recall,
    queue_skip,
)
from appointments.services.reschedule import (
    appointment_reschedule,
    reschedule_allowed,
    reschedule_allowed_check,
)
from appointments.services.stopping import session_stop
from appointments.services.transitions import appointment_transition
from appointments.services.waitlist import (
    waitlist_close_for_profile,
    waitlist_join,
    waitlist_leave,
    waitlist_promote,
)

__all__ = [
    "appointment_book",
    "appointment_cancel",
    "appointment_check_in",
    "appointment_check_in_by_code",
    "appointment_complete",
    "appointment_confirm",
    "appointment_expire",
    "appointment_mark_paid",
    "appointment_notify",
    "appointment_release_unconfirmed",
    "appointment_reschedule",
    "appointment_risk_record",
    "appointment_transition",
    "reschedule_allowed",
    "reschedule_allowed_check",
    "queue_call_next",
    "queue_mark_seen",
    "queue_recall",
    "queue_skip",
    "session_stop",
    "sessions_mark_no_shows",
    "unconfirmed_release_sweep",
    "waitlist_close_for_profile",
    "waitlist_join",
    "waitlist_leave",
    "waitlist_promote",
]
