"""A hospital's booking rule: release window, cutoff, caps and reminders."""

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from common.services import Actor
from scheduling import services
from scheduling.admin.shared import SchedulingAdmin
from scheduling.models import BookingRule

# -- booking rules -------------------------------------------------------------------------


@admin.register(BookingRule)
class BookingRuleAdmin(SchedulingAdmin):
    hospital_field = "hospital"
    list_display = (
        "hospital",
        "window_days",
        "release_time",
        "cutoff",
        "cancel_deadline_minutes",
        "hold_minutes",
        "checkin_open_minutes",
        "max_active_per_day",
        "max_active_per_week",
    )
    list_select_related = ("hospital",)
    search_fields = ("hospital__name",)
    fieldsets = (
        (None, {"fields": ("hospital",)}),
        (
            _("Release"),
            {"fields": ("window_days", "release_time", "release_queue_demand_factor")},
        ),
        (
            _("Stop booking"),
            {"fields": ("cutoff_mode", "cutoff_minutes", "cutoff_time")},
        ),
        (
            _("Cancellation, payment and check-in"),
            {
                "fields": (
                    "cancel_deadline_minutes",
                    "hold_minutes",
                    "checkin_open_minutes",
                )
            },
        ),
        (
            _("Per-patient caps"),
            {"fields": ("max_active_per_day", "max_active_per_week")},
        ),
        (
            _("Visit reminders"),
            {"fields": ("reminder_evening_time", "reminder_hours_before")},
        ),
        (_("At the visit"), {"fields": ("members_first_at_visit",)}),
        (
            _("No-show risk"),
            {
                "fields": (
                    "noshow_high_risk_contact",
                    "noshow_release_unconfirmed",
                    "noshow_confirm_hours_before",
                )
            },
        ),
    )

    @admin.display(description=_("stop-booking cutoff"))
    def cutoff(self, obj: BookingRule) -> str:
        if obj.cutoff_mode == BookingRule.CutoffMode.PREVIOUS_EVENING:
            return _("%(time)s on the evening before") % {
                "time": obj.cutoff_time.strftime("%H:%M")
            }
        return _("%(minutes)s minutes before the slot") % {
            "minutes": obj.cutoff_minutes
        }

    def get_readonly_fields(
        self, request: HttpRequest, obj: BookingRule | None = None
    ) -> tuple:
        return ("hospital",) if obj is not None else ()

    def has_delete_permission(
        self, request: HttpRequest, obj: BookingRule | None = None
    ) -> bool:
        return False  # a hospital always has a rule: edit it instead

    def save_model(
        self, request: HttpRequest, obj: BookingRule, form: forms.Form, change: bool
    ) -> None:
        services.booking_rule_save(actor=Actor.from_request(request), rule=obj)
