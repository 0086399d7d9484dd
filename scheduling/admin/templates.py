"""Weekly templates (每周出诊): saving one generates its sessions for the booking window."""

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from common.admin import ServiceCheckedForm
from common.money import yuan_display
from common.services import Actor
from hospitals.admin import fee_field
from scheduling import services
from scheduling.admin.shared import (
    SchedulingAdmin,
    clock_hours,
    doctor_columns,
)
from scheduling.models import ScheduleTemplate


class TemplateForm(ServiceCheckedForm):
    fee = fee_field(
        required=False, help_text=_("Empty uses the doctor's fee; 0 is a free clinic.")
    )

    class Meta:
        model = ScheduleTemplate
        fields = (
            "doctor",
            "weekday",
            "period",
            "start_time",
            "end_time",
            "slot_minutes",
            "seats_per_slot",
            "clinic_type",
            "room",
            "fee",
            "is_active",
        )

    def service_check(self) -> None:
        services.schedule_template_check(template=self.instance)
        services.template_room_check(template=self.instance)


@admin.register(ScheduleTemplate)
class ScheduleTemplateAdmin(SchedulingAdmin):
    hospital_field = "doctor__hospital"
    form = TemplateForm
    list_display = (
        "doctor_name",
        "department",
        "weekday",
        "period",
        "time_range",
        "slot_minutes",
        "seats_per_slot",
        "clinic_type",
        "room",
        "fee_yuan",
        "is_active",
    )
    list_filter = (
        "is_active",
        "weekday",
        "period",
        "clinic_type",
        ("doctor__department", admin.RelatedOnlyFieldListFilter),
        ("doctor__hospital", admin.RelatedOnlyFieldListFilter),
    )
    search_fields = ("doctor__name", "doctor__department__name")
    list_select_related = ("doctor__department", "room")
    ordering = ("doctor_id", "weekday", "start_time")
    actions = ("generate_sessions",)

    doctor_name, department = doctor_columns()
    time_range = clock_hours

    @admin.display(description=_("registration fee"), ordering="fee")
    def fee_yuan(self, obj: ScheduleTemplate) -> str:
        return yuan_display(obj.fee) if obj.fee is not None else _("doctor's fee")

    def has_delete_permission(
        self, request: HttpRequest, obj: ScheduleTemplate | None = None
    ) -> bool:
        return False  # untick "active" instead; generated sessions keep their link

    def save_model(
        self,
        request: HttpRequest,
        obj: ScheduleTemplate,
        form: forms.Form,
        change: bool,
    ) -> None:
        services.schedule_template_save(actor=Actor.from_request(request), template=obj)
        self._report_generated(
            request, services.schedule_template_generate(templates=[obj])
        )

    @admin.action(description=_("Generate sessions now"), permissions=["change"])
    def generate_sessions(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._report_generated(
            request, services.schedule_template_generate(templates=list(queryset))
        )

    def _report_generated(self, request: HttpRequest, created: int) -> None:
        self.message_user(
            request,
            ngettext(
                "%(count)d session generated for the booking window.",
                "%(count)d sessions generated for the booking window.",
                created,
            )
            % {"count": created},
            level=messages.SUCCESS if created else messages.INFO,
        )
