"""Readable labels of the operation-log action codes the appointment services write."""

from django.utils.translation import gettext_lazy as _

ACTION_LABELS = {
    "ledger.entry": _("No-show or late cancel recorded"),
    "ledger.appeal": _("No-show appeal filed"),
    "ledger.appeal_accept": _("No-show appeal accepted (record removed)"),
    "ledger.appeal_reject": _("No-show appeal rejected"),
    "ledger.rule": _("No-show rule changed"),
    "appointment.create": _("Appointment booked (awaiting payment)"),
    "appointment.pending_payment": _("Appointment awaiting payment"),
    "appointment.booked": _("Appointment confirmed"),
    "appointment.checked_in": _("Patient checked in"),
    "appointment.called": _("Patient called"),
    "appointment.recalled": _("Patient called again"),
    "appointment.skipped": _("Patient skipped (not there when called)"),
    "appointment.completed": _("Visit completed"),
    "appointment.cancelled": _("Appointment cancelled"),
    "appointment.no_show": _("Patient did not come"),
    "appointment.rescheduled": _("Appointment moved to another time (改约)"),
    "appointment.reminders_on": _("Visit reminders turned on"),
    "appointment.reminders_off": _("Visit reminders turned off"),
    "session.stop": _("Clinic session stopped"),
    "session.stop_request": _("Stop or leave requested by the doctor"),
    "session.stop_request_approved": _("Stop or leave request approved"),
    "session.stop_request_rejected": _("Stop or leave request rejected"),
    "appointment.walk_in": _("Walk-in booked at the desk (加号)"),
    "waitlist.join": _("Joined the waitlist"),
    "waitlist.promoted": _("Seat given from the waitlist"),
    "waitlist.left": _("Left the waitlist"),
    "waitlist.closed": _("Waitlist closed"),
}
