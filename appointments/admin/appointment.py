"""The clinic desk's appointment list: find the patient, confirm who they are, check in.

Nothing here writes a row itself: the actions and the one-click 签到 button call the
appointment services, and every message names the patient (name and queue number).
"""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from appointments import services
from appointments.admin.patient import (
    id_card_masked,
    patient_label,
    patient_search_q,
    phone_masked,
)
from appointments.models import Appointment
from common.admin import (
    OperationLogHistoryMixin,
    ScopedReadOnlyAdmin,
    run_service_action,
)
from common.money import yuan_display
from common.services import Actor


def _run_for_each(
    modeladmin, request: HttpRequest, queryset: QuerySet, action, done_message
) -> None:
    """Apply a service to each selected row; report successes and each refusal by patient."""
    actor = Actor.from_request(request)
    run_service_action(
        modeladmin,
        request,
        queryset.select_related("session", "user", "profile").order_by(
            "visit_starts_at", "queue_no"
        ),
        lambda appointment: action(actor=actor, appointment=appointment),
        label=_patient,
        success_message=done_message,
    )


def risk_label(appointment: Appointment) -> str:
    """The no-show band (not the number: staff act on bands), and where the patient was
    asked to confirm, whether they did."""
    if not appointment.noshow_risk_band:
        return "—"  # not scored: no active model when it was booked
    band = gettext("No-show risk: %(band)s") % {
        "band": appointment.get_noshow_risk_band_display()
    }
    if appointment.confirmed_at is not None:
        return gettext("%(band)s · confirmed") % {"band": band}
    if appointment.confirm_requested_at is not None:
        return gettext("%(band)s · not confirmed") % {"band": band}
    return band


def _patient(appointment: Appointment) -> str:
    return patient_label(appointment.profile.name, appointment.queue_no)


@admin.register(Appointment)
class AppointmentAdmin(OperationLogHistoryMixin, ScopedReadOnlyAdmin):
    """The clinic desk's view of appointments. Every change goes through the services."""

    hospital_field = "hospital"
    # Staff of one hospital know their hospital; only the platform needs the column.
    hospital_columns = ("hospital",)
    list_display = (
        "visit",
        "patient",
        "identity",
        "doctor",
        # the status with the no-show risk under it: the desk keeps seven columns
        "status_and_risk",
        "fee_yuan",
        "check_in_button",
        "hospital",
    )
    list_display_links = ("patient",)
    list_filter = (
        "status",
        ("session__date", admin.DateFieldListFilter),
        "noshow_risk_band",
        "hospital",
    )
    search_fields = ("order_no", "doctor__name")
    search_help_text = _(
        "Search by the patient's exact full name, full mobile number, full ID-card "
        "number or its last 4 characters, the doctor's name or the order number."
    )
    list_select_related = ("doctor", "profile", "hospital")
    # No date_hierarchy: on a DateTimeField it needs MySQL's time-zone tables.
    ordering = ("visit_starts_at", "queue_no")
    actions = ["check_in", "mark_completed", "cancel_by_staff"]
    # The platform's user accounts and profiles are not the desk's: the patient is shown
    # by name with the ID number and phone masked, and no field links to another admin.
    fieldsets = (
        (
            _("Patient"),
            {"fields": ("patient", "id_card_masked", "phone_masked", "queue_no")},
        ),
        (
            _("Visit"),
            {
                "fields": (
                    "order_no",
                    "status",
                    "doctor_name",
                    "visit",
                    "place",
                    "fee_yuan",
                    "checked_in_at",
                )
            },
        ),
        (
            _("Cancellation"),
            {"fields": ("cancelled_by", "cancel_reason", "cancelled_at")},
        ),
        (
            _("No-show risk"),
            {
                "fields": (
                    "noshow_risk_band",
                    "noshow_risk",
                    "noshow_fair_band",
                    "noshow_risk_fair",
                    "confirm_requested_at",
                    "confirm_deadline",
                    "confirmed_at",
                )
            },
        ),
        (
            _("Other"),
            {
                "fields": (
                    "reminders_enabled",
                    "booked_early",
                    "hold_expires_at",
                    "created_at",
                )
            },
        ),
    )
    readonly_fields = (
        "patient",
        "id_card_masked",
        "phone_masked",
        "queue_no",
        "order_no",
        "status",
        "doctor_name",
        "visit",
        "place",
        "fee_yuan",
        "checked_in_at",
        "cancelled_by",
        "cancel_reason",
        "cancelled_at",
        "reminders_enabled",
        "booked_early",
        "hold_expires_at",
        "created_at",
        "noshow_risk_band",
        "noshow_risk",
        "noshow_fair_band",
        "noshow_risk_fair",
        "confirm_requested_at",
        "confirm_deadline",
        "confirmed_at",
    )

    def get_list_display(self, request: HttpRequest):
        columns = super().get_list_display(request)
        if not self.has_change_permission(request):
            # e.g. doctors: they see, they do not check in
            columns = tuple(c for c in columns if c != "check_in_button")
        return columns

    # -- columns ---------------------------------------------------------------------

    @admin.display(description=_("visit"), ordering="visit_starts_at")
    def visit(self, obj: Appointment) -> str:
        starts = timezone.localtime(obj.visit_starts_at)
        ends = timezone.localtime(obj.visit_ends_at)
        return f"{starts:%m-%d %H:%M}–{ends:%H:%M}"

    @admin.display(description=_("patient"))
    def patient(self, obj: Appointment) -> str:
        return _patient(obj)

    @admin.display(description=_("ID number / phone"))
    def identity(self, obj: Appointment):
        return format_html(
            "{}<br>{}", id_card_masked(obj.profile), phone_masked(obj.profile)
        )

    @admin.display(description=_("ID-card number"))
    def id_card_masked(self, obj: Appointment) -> str:
        return id_card_masked(obj.profile)

    @admin.display(description=_("phone"))
    def phone_masked(self, obj: Appointment) -> str:
        return phone_masked(obj.profile)

    @admin.display(description=_("doctor"))
    def doctor_name(self, obj: Appointment) -> str:
        return obj.doctor.name

    @admin.display(description=_("status / no-show risk"), ordering="status")
    def status_and_risk(self, obj: Appointment):
        return format_html(
            '{}<br><span class="noshow-risk risk-{}">{}</span>',
            obj.get_status_display(),
            obj.noshow_risk_band or "none",
            risk_label(obj),
        )

    @admin.display(description=_("fee"), ordering="fee")
    def fee_yuan(self, obj: Appointment) -> str:
        return yuan_display(obj.fee)

    @admin.display(description=_("check-in"))
    def check_in_button(self, obj: Appointment):
        visit_day = timezone.localdate(obj.visit_starts_at)
        if obj.status != Appointment.Status.BOOKED or visit_day != timezone.localdate():
            return "—"  # staff check in paid bookings on the day of the visit
        # The changelist is one form holding the CSRF token; the button posts it to the
        # check-in view instead of the actions URL.
        return format_html(
            '<button type="submit" class="button" formmethod="post" '
            'formaction="{}">{}</button>',
            reverse("admin:appointments_appointment_check_in", args=[obj.pk]),
            gettext("Check in"),
        )

    # -- one-click check-in ----------------------------------------------------------

    def get_urls(self):
        view = self.admin_site.admin_view(require_POST(self.check_in_view))
        return [
            path(
                "<int:appointment_id>/check-in/",
                view,
                name="appointments_appointment_check_in",
            ),
            *super().get_urls(),
        ]

    def check_in_view(
        self, request: HttpRequest, appointment_id: int
    ) -> HttpResponseRedirect:
        if not self.has_change_permission(request):
            raise PermissionDenied
        appointment = get_object_or_404(
            self.get_queryset(request).select_related("profile"), pk=appointment_id
        )
        run_service_action(
            self,
            request,
            [appointment],
            lambda appointment: services.appointment_check_in(
                actor=Actor.from_request(request),
                appointment=appointment,
                by_staff=True,
            ),
            label=_patient,
            row_success=lambda appointment: (
                gettext("%(patient)s checked in.") % {"patient": _patient(appointment)}
            ),
        )
        return self._back(request)

    def _back(self, request: HttpRequest) -> HttpResponseRedirect:
        """Back to the list the clerk came from (its filters kept), or the plain list."""
        referer = request.META.get("HTTP_REFERER", "")
        if referer and url_has_allowed_host_and_scheme(
            referer,
            allowed_hosts={request.get_host()},
            require_https=request.is_secure(),
        ):
            return HttpResponseRedirect(referer)
        return HttpResponseRedirect(
            reverse("admin:appointments_appointment_changelist")
        )

    # -- search ----------------------------------------------------------------------

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ):
        exact = patient_search_q(search_term)
        results, may_have_duplicates = super().get_search_results(
            request, queryset, search_term
        )
        if exact is not None:
            results = results | queryset.filter(exact)
        return results, may_have_duplicates

    # -- actions ---------------------------------------------------------------------

    @admin.action(
        description=_("Check in the selected patients"), permissions=["change"]
    )
    def check_in(self, request: HttpRequest, queryset: QuerySet) -> None:
        _run_for_each(
            self,
            request,
            queryset,
            lambda **kw: services.appointment_check_in(by_staff=True, **kw),
            gettext("%(count)d patients checked in."),
        )

    @admin.action(
        description=_("Mark the selected visits completed"), permissions=["change"]
    )
    def mark_completed(self, request: HttpRequest, queryset: QuerySet) -> None:
        _run_for_each(
            self,
            request,
            queryset,
            services.appointment_complete,
            gettext("%(count)d visits completed."),
        )

    @admin.action(
        description=_("Cancel the selected appointments (by the hospital)"),
        permissions=["change"],
    )
    def cancel_by_staff(self, request: HttpRequest, queryset: QuerySet) -> None:
        _run_for_each(
            self,
            request,
            queryset,
            lambda **kw: services.appointment_cancel(
                by=Appointment.CancelledBy.STAFF,
                reason=gettext("cancelled by the hospital"),
                **kw,
            ),
            gettext("%(count)d appointments cancelled and refunds requested."),
        )
