"""Readable labels of the operation-log action codes the scheduling services write."""

from django.utils.translation import gettext_lazy as _

ACTION_LABELS = {
    "booking_rule_create": _("Booking rule created"),
    "schedule_template_create": _("Weekly clinic template created"),
    "session_create": _("Clinic session created"),
    "session_generate": _("Clinic sessions generated from a template"),
    "session_update": _("Clinic session changed"),
    "session_add_slot": _("Time slot added (加号)"),
    "slot_add_seats": _("Seats added to a time slot (加号)"),
    "session_release_queue_on": _("Clinic session put in the release queue (排队放号)"),
    "session_release_queue_off": _("Clinic session taken out of the release queue"),
}
