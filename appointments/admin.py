from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from appointments import services
from appointments.models import Appointment, Notification, WaitlistEntry
from common.admin import HospitalScopedAdminMixin, PlatformReadOnlyAdmin
from common.errors import DomainError
from common.services import Actor


def _run_for_each(
    modeladmin, request: HttpRequest, queryset: QuerySet, action, done_message: str
) -> None:
    """Apply a service to each selected row; report successes and each refusal."""
    actor = Actor.from_request(request)
    done = 0
    for appointment in queryset.select_related("session", "user").order_by("pk"):
        try:
            action(actor=actor, appointment=appointment)
        except DomainError as exc:
            modeladmin.message_user(
                request, f"{appointment.order_no}: {exc.message}", level=messages.ERROR
            )
        else:
            done += 1
    if done:
        modeladmin.message_user(
            request, done_message % {"count": done}, level=messages.SUCCESS
        )


@admin.register(Appointment)
class AppointmentAdmin(HospitalScopedAdminMixin, admin.ModelAdmin):
    """The clinic desk's view of appointments. Every change goes through the services."""

    hospital_field = "hospital"
    list_display = (
        "order_no",
        "visit_starts_at",
        "queue_no",
        "doctor",
        "profile",
        "status",
        "fee_yuan",
        "hospital",
    )
    list_filter = ("status", "hospital", ("session__date", admin.DateFieldListFilter))
    search_fields = ("order_no", "profile__name", "doctor__name")
    list_select_related = ("doctor", "profile", "hospital")
    raw_id_fields = ("user", "profile", "slot", "session", "doctor", "hospital")
    # No date_hierarchy: on a DateTimeField it needs MySQL's time-zone tables.
    ordering = ("visit_starts_at", "queue_no")
    actions = ["check_in", "mark_completed", "cancel_by_staff"]

    @admin.display(description=_("fee (yuan)"), ordering="fee")
    def fee_yuan(self, obj: Appointment) -> str:
        return f"{obj.fee // 100}.{obj.fee % 100:02d}"

    def get_readonly_fields(self, request: HttpRequest, obj: Appointment | None = None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # bookings are made by patients through the API

    def has_delete_permission(
        self, request: HttpRequest, obj: Appointment | None = None
    ) -> bool:
        return False  # cancel instead: history is kept

    @admin.action(
        description=_("Check in the selected patients"), permissions=["change"]
    )
    def check_in(self, request: HttpRequest, queryset: QuerySet) -> None:
        _run_for_each(
            self,
            request,
            queryset,
            lambda **kw: services.appointment_check_in(by_staff=True, **kw),
            _("%(count)d patients checked in."),
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
            _("%(count)d visits completed."),
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
                reason=str(_("cancelled by the hospital")),
                **kw,
            ),
            _("%(count)d appointments cancelled and refunds requested."),
        )


@admin.register(WaitlistEntry)
class WaitlistEntryAdmin(HospitalScopedAdminMixin, admin.ModelAdmin):
    hospital_field = "session__hospital"
    list_display = ("id", "session", "profile", "status", "priority", "created_at")
    list_filter = ("status",)
    search_fields = ("profile__name",)
    list_select_related = ("session__doctor", "profile")
    raw_id_fields = ("user", "profile", "session", "appointment")

    def get_readonly_fields(
        self, request: HttpRequest, obj: WaitlistEntry | None = None
    ):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(
        self, request: HttpRequest, obj: WaitlistEntry | None = None
    ) -> bool:
        return False


@admin.register(Notification)
class NotificationAdmin(PlatformReadOnlyAdmin):
    """The outbox, for operators watching delivery: read-only, platform admins only.

    Message texts carry patients' names, so hospital staff do not see this list.
    """

    list_display = (
        "id",
        "event",
        "user",
        "status",
        "channel",
        "attempts",
        "next_attempt_at",
        "sent_at",
    )
    list_filter = ("status", "event", "channel")
    search_fields = ("dedupe_key",)
    list_select_related = ("user",)
    raw_id_fields = ("user", "appointment", "profile")
    exclude = ("body", "context")

    def get_readonly_fields(
        self, request: HttpRequest, obj: Notification | None = None
    ):
        return [
            field.name
            for field in self.model._meta.fields
            if field.name not in self.exclude
        ]
