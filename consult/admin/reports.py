"""The queue of reported consult messages: staff uphold or dismiss, or hide the message.

Reviewers (those who may change reports) see the reported message's text on the
report's page; each such reading is logged (consult.ConsultAccess). Every decision is a
service call with its operation-log row.
"""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from common.admin import (
    OperationLogHistoryMixin,
    ScopedReadOnlyAdmin,
    run_service_action,
)
from common.services import Actor
from consult.models import ConsultAccess, MessageReport
from consult.services.access import consult_access_write
from consult.services.reports import message_hide, message_report_decide


@admin.register(MessageReport)
class MessageReportAdmin(OperationLogHistoryMixin, ScopedReadOnlyAdmin):
    hospital_field = "hospital"
    hospital_columns = ("hospital",)
    list_display = (
        "id",
        "created_at",
        "status",
        "reason",
        "reporter_side",
        "consult_link",
        "reviewed_by",
        "reviewed_at",
        "hospital",
    )
    list_filter = ("status", "reason", "reporter_side", "hospital")
    list_select_related = ("reviewed_by", "hospital")
    search_fields = ("=consult__id", "=message__id")
    ordering = ("status", "-created_at", "-id")  # pending first
    fields = (
        "id",
        "status",
        "reason",
        "comment",
        "reporter_side",
        "consult_link",
        "message_sent_at",
        "message_text",
        "message_state",
        "created_at",
        "reviewed_by",
        "reviewed_at",
    )
    actions = ("uphold", "dismiss", "hide_message")

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("message")

    @admin.display(description=_("consult"))
    def consult_link(self, obj: MessageReport) -> str:
        url = reverse("admin:consult_consult_change", args=[obj.consult_id])
        return format_html('<a href="{}">#{}</a>', url, obj.consult_id)

    @admin.display(description=_("sent at"))
    def message_sent_at(self, obj: MessageReport):
        return obj.message.created_at

    @admin.display(description=_("reported message"))
    def message_text(self, obj: MessageReport) -> str:
        return obj.message.text or "—"

    @admin.display(description=_("message"))
    def message_state(self, obj: MessageReport) -> str:
        if obj.message.hidden_at:
            return gettext("Hidden")
        if obj.message.recalled_at:
            return gettext("Recalled")
        return gettext("Shown")

    def get_fields(self, request: HttpRequest, obj=None) -> list:
        # The text is for the reviewers: those who may decide reports.
        if self.has_change_permission(request):
            return list(self.fields)
        return [name for name in self.fields if name != "message_text"]

    def get_readonly_fields(self, request: HttpRequest, obj=None) -> list:
        return self.get_fields(request, obj)

    def change_view(
        self, request: HttpRequest, object_id: str, form_url="", extra_context=None
    ):
        report = self.get_object(request, object_id)
        if (
            report is not None
            and self.has_view_permission(request, report)
            and self.has_change_permission(request)
            and report.message.text
        ):
            consult_access_write(
                actor=Actor.from_request(request),
                consult=report.consult,
                what=ConsultAccess.What.REPORTED_MESSAGE,
            )
        return super().change_view(request, object_id, form_url, extra_context)

    def _decide(self, request: HttpRequest, queryset: QuerySet, upheld: bool) -> None:
        actor = Actor.from_request(request)
        run_service_action(
            self,
            request,
            queryset.order_by("pk"),
            lambda report: message_report_decide(
                actor=actor, report=report, upheld=upheld
            ),
            label=lambda report: gettext("Report #%(id)s") % {"id": report.pk},
            success_message=gettext("%(count)d reports decided."),
        )

    @admin.action(description=_("Uphold the selected reports"), permissions=["change"])
    def uphold(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._decide(request, queryset, upheld=True)

    @admin.action(description=_("Dismiss the selected reports"), permissions=["change"])
    def dismiss(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._decide(request, queryset, upheld=False)

    @admin.action(
        description=_("Hide the reported messages (and uphold their reports)"),
        permissions=["change"],
    )
    def hide_message(self, request: HttpRequest, queryset: QuerySet) -> None:
        actor = Actor.from_request(request)
        run_service_action(
            self,
            request,
            queryset.select_related("message").order_by("pk"),
            lambda report: message_hide(
                actor=actor,
                message=report.message,
                reason=f"report {report.pk}: {report.reason}",
            ),
            label=lambda report: gettext("Report #%(id)s") % {"id": report.pk},
            success_message=gettext("%(count)d messages hidden."),
        )
