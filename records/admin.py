"""Medical records in the admin: read-only, scoped to the staff member's hospital.

Records are written through the doctors' API (records.services); here staff and doctors
read them, with every version (a locked one can never be edited: nothing here is), the
reports and who opened the record. Opening a record's page is itself written to the
access log, as an API read is. Doctors see only the records of their own patients.
"""

from django.contrib import admin
from django.db.models import OuterRef, QuerySet, Subquery
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from common.admin import (
    OperationLogHistoryMixin,
    PlatformReadOnlyAdmin,
    ScopedReadOnlyAdmin,
)
from common.services import Actor
from records.models import Icd10Code, RecordAccess, RecordVersion, Report, VisitRecord
from records.services.access_log import record_access_write


def _lines(items: list[dict], keys: tuple[str, ...]) -> str:
    return "\n".join(
        " / ".join(str(item.get(key, "")) for key in keys) for item in items
    )


class ReadOnlyInline:
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class RecordVersionInline(ReadOnlyInline, admin.StackedInline):
    model = RecordVersion
    ordering = ("-number",)
    fields = readonly_fields = (
        "number",
        "status",
        "author",
        "created_at",
        "locked_at",
        "correction_reason_text",
        "chief_complaint_text",
        "present_illness_text",
        "history_text",
        "examination_text",
        "diagnoses_text",
        "prescriptions_text",
        "orders_text",
        "advice_text",
        "follow_up_date",
    )

    @admin.display(description=_("reason for the correction"))
    def correction_reason_text(self, obj: RecordVersion) -> str:
        return obj.correction_reason

    @admin.display(description=_("chief complaint"))
    def chief_complaint_text(self, obj: RecordVersion) -> str:
        return obj.chief_complaint

    @admin.display(description=_("present illness"))
    def present_illness_text(self, obj: RecordVersion) -> str:
        return obj.present_illness

    @admin.display(description=_("history"))
    def history_text(self, obj: RecordVersion) -> str:
        return obj.history

    @admin.display(description=_("examination"))
    def examination_text(self, obj: RecordVersion) -> str:
        return obj.examination

    @admin.display(description=_("diagnoses"))
    def diagnoses_text(self, obj: RecordVersion) -> str:
        return _lines(obj.diagnoses, ("code", "text"))

    @admin.display(description=_("prescriptions"))
    def prescriptions_text(self, obj: RecordVersion) -> str:
        return _lines(
            obj.prescriptions,
            ("drug", "dose", "route", "frequency", "days", "quantity"),
        )

    @admin.display(description=_("orders"))
    def orders_text(self, obj: RecordVersion) -> str:
        return obj.orders

    @admin.display(description=_("advice"))
    def advice_text(self, obj: RecordVersion) -> str:
        return obj.advice


class ReportInline(ReadOnlyInline, admin.StackedInline):
    model = Report
    fields = readonly_fields = (
        "kind",
        "title_text",
        "results_text",
        "conclusion_text",
        "files",
        "reported_by",
        "created_at",
    )

    @admin.display(description=_("title"))
    def title_text(self, obj: Report) -> str:
        return obj.title

    @admin.display(description=_("results"))
    def results_text(self, obj: Report) -> str:
        return _lines(obj.results, ("item", "value", "unit", "reference_range", "flag"))

    @admin.display(description=_("conclusion"))
    def conclusion_text(self, obj: Report) -> str:
        return obj.conclusion

    @admin.display(description=_("attachments"))
    def files(self, obj: Report) -> str:
        return ", ".join(str(attachment) for attachment in obj.attachments.all())


class RecordAccessInline(ReadOnlyInline, admin.TabularInline):
    model = RecordAccess
    ordering = ("-accessed_at", "-id")
    fields = readonly_fields = ("accessed_at", "reader", "role", "what", "ip")


def _own_records_only(request: HttpRequest, queryset: QuerySet, path: str) -> QuerySet:
    """A doctor sees their own patients' records; staff their whole hospital's."""
    if request.user.role == User.Role.DOCTOR and not request.user.is_superuser:
        return queryset.filter(**{path: request.user})
    return queryset


@admin.register(VisitRecord)
class VisitRecordAdmin(OperationLogHistoryMixin, ScopedReadOnlyAdmin):
    hospital_field = "hospital"
    hospital_columns = ("hospital",)
    list_display = ("id", "visit_at", "patient", "doctor", "state", "hospital")
    list_filter = ("visit_at", "hospital")
    list_select_related = ("profile", "doctor", "hospital")
    raw_id_fields = ("appointment", "profile")
    fields = ("appointment", "hospital", "doctor", "patient", "visit_at", "created_at")
    inlines = (RecordVersionInline, ReportInline, RecordAccessInline)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        latest = RecordVersion.objects.filter(record=OuterRef("pk")).order_by("-number")
        queryset = (
            super()
            .get_queryset(request)
            .annotate(latest_status=Subquery(latest.values("status")[:1]))
        )
        return _own_records_only(request, queryset, "doctor__user")

    @admin.display(description=_("patient"))
    def patient(self, obj: VisitRecord) -> str:
        return obj.profile.name

    @admin.display(description=_("status"))
    def state(self, obj: VisitRecord) -> str:
        return RecordVersion.Status(obj.latest_status).label

    def change_view(
        self, request: HttpRequest, object_id: str, form_url="", extra_context=None
    ):
        record = self.get_object(request, object_id)
        if record is not None and self.has_view_permission(request, record):
            record_access_write(actor=Actor.from_request(request), record=record)
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(RecordAccess)
class RecordAccessAdmin(ScopedReadOnlyAdmin):
    """Who opened which record: the same log the patients see."""

    hospital_field = "record__hospital"
    list_display = ("accessed_at", "reader", "role", "what", "record", "patient", "ip")
    list_filter = ("what", "role")
    list_select_related = ("reader", "record", "profile")
    fields = (
        "accessed_at",
        "reader",
        "role",
        "hospital",
        "what",
        "record",
        "attachment",
        "patient",
        "ip",
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return _own_records_only(
            request, super().get_queryset(request), "record__doctor__user"
        )

    @admin.display(description=_("patient"))
    def patient(self, obj: RecordAccess) -> str:
        return obj.profile.name


@admin.register(Icd10Code)
class Icd10CodeAdmin(PlatformReadOnlyAdmin):
    list_display = ("code", "name")
    search_fields = ("code", "name")
