"""Rebooking offers after a stop (停诊改约) in the admin: read-only, for the desk to see
which seat is held for which stopped patient, until when, and how the patient answered.

Every change of an offer is the patient's (accept, decline) or the lapse sweep's, through
appointments.services.rebooking_offers; staff only look. An offer belongs to the hospital
of its offered slot (the same as the stopped booking's: offers never leave the hospital).
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from appointments.models import RebookingOffer
from appointments.notifications.messages import local_time_text
from common.admin import ScopedReadOnlyAdmin
from common.admin_history import OperationLogHistoryMixin


@admin.register(RebookingOffer)
class RebookingOfferAdmin(OperationLogHistoryMixin, ScopedReadOnlyAdmin):
    hospital_field = "slot__session__hospital"
    hospital_columns = ("hospital", "slot__session__hospital")
    list_display = (
        "id",
        "patient",
        "stopped_visit",
        "offered_visit",
        "status",
        "fee_waived",
        "expires_at",
        "decided_at",
        "hospital",
    )
    list_display_links = ("id", "patient")
    list_filter = (
        "status",
        ("slot__session__date", admin.DateFieldListFilter),
        ("created_at", admin.DateFieldListFilter),
        "slot__session__hospital",
    )
    search_fields = ("slot__session__doctor__name", "appointment__order_no")
    search_help_text = _(
        "Search by the offered doctor's name or the stopped order number."
    )
    list_select_related = (
        "appointment__profile",
        "appointment__doctor",
        "slot__session__doctor",
        "slot__session__hospital",
    )
    ordering = ("-created_at", "-id")
    # The patient by name only: accounts and profiles are not the desk's to open.
    fields = (
        "patient",
        "stopped_visit",
        "offered_visit",
        "status",
        "fee_waived",
        "expires_at",
        "decided_at",
        "new_appointment",
        "created_at",
    )
    readonly_fields = ("patient", "stopped_visit", "offered_visit", "created_at")

    @admin.display(description=_("patient"))
    def patient(self, obj: RebookingOffer) -> str:
        return obj.appointment.profile.name

    @admin.display(description=_("stopped appointment"))
    def stopped_visit(self, obj: RebookingOffer) -> str:
        stopped = obj.appointment
        return f"{stopped.doctor.name} {local_time_text(stopped.visit_starts_at)}"

    @admin.display(description=_("offered slot"), ordering="slot__starts_at")
    def offered_visit(self, obj: RebookingOffer) -> str:
        return f"{obj.slot.session.doctor.name} {local_time_text(obj.slot.starts_at)}"

    @admin.display(description=_("hospital"), ordering="slot__session__hospital")
    def hospital(self, obj: RebookingOffer) -> str:
        return obj.slot.session.hospital.name
