"""The no-show ledger (爽约管理) in the admin: the hospital's records, its rules (editable)
and the patients' appeals, which staff accept (the record is voided and the restriction
lifts at once) or reject, with a note, through a confirmation page."""

from django import forms
from django.contrib import admin
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from appointments.ledger.services import appeal_attachment_content, appeal_decide
from appointments.models import LedgerAppeal, LedgerEntry, LedgerRule
from common.admin import ScopedReadOnlyAdmin, run_service_action
from common.admin_scoping import HospitalScopedAdminMixin
from common.services import Actor, operation_log_write


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ScopedReadOnlyAdmin):
    hospital_field = "hospital"
    hospital_columns = ("hospital",)
    list_display = ("id", "kind", "appointment", "hospital", "occurred_at", "voided_at")
    list_filter = ("kind",)
    list_select_related = ("hospital", "appointment")
    exclude = ("id_card_hash",)


@admin.register(LedgerRule)
class LedgerRuleAdmin(HospitalScopedAdminMixin, admin.ModelAdmin):
    hospital_field = "hospital"
    hospital_columns = ("hospital",)
    list_display = (
        "hospital",
        "kind",
        "count",
        "window_days",
        "restriction_days",
        "is_active",
    )
    list_filter = ("kind", "is_active")

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        operation_log_write(
            actor=Actor.from_request(request),
            action="ledger.rule",
            obj=obj,
            summary=f"{obj.kind} {obj.count}/{obj.window_days}d -> "
            f"{obj.restriction_days}d active={obj.is_active}",
        )


class DecisionForm(forms.Form):
    note = forms.CharField(
        label=_("Note to the patient"),
        max_length=255,
        required=False,
        widget=forms.TextInput(attrs={"size": 60}),
    )


def _decide(modeladmin, request: HttpRequest, queryset: QuerySet, *, accept: bool):
    appeals = list(queryset.select_related("entry").order_by("pk"))
    form = DecisionForm(request.POST if "confirm" in request.POST else None)
    if not form.is_valid():
        context = {
            **modeladmin.admin_site.each_context(request),
            "title": _("Accept appeals") if accept else _("Reject appeals"),
            "opts": modeladmin.model._meta,
            "appeals": appeals,
            "accept": accept,
            "form": form,
            "action": "accept" if accept else "reject",
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(
            request, "admin/appointments/ledgerappeal/decide.html", context
        )
    actor = Actor.from_request(request)
    run_service_action(
        modeladmin,
        request,
        appeals,
        lambda appeal: appeal_decide(
            actor=actor,
            appeal_id=appeal.pk,
            accept=accept,
            note=form.cleaned_data["note"],
        ),
        success_message=gettext("%(count)d appeals accepted.")
        if accept
        else gettext("%(count)d appeals rejected."),
    )
    return None


@admin.register(LedgerAppeal)
class LedgerAppealAdmin(ScopedReadOnlyAdmin):
    hospital_field = "hospital"
    hospital_columns = ("hospital",)
    list_display = (
        "id",
        "entry",
        "hospital",
        "reason",
        "attachment_name",
        "status",
        "created_at",
        "decided_by",
        "decided_at",
        "decision_note",
    )
    list_filter = ("status",)
    list_select_related = ("entry", "hospital", "decided_by")
    exclude = ("attachment_storage_name",)
    readonly_fields = ("attachment_link",)
    actions = ("accept", "reject")

    @admin.display(description=_("attachment file"))
    def attachment_link(self, appeal: LedgerAppeal) -> str:
        if not appeal.attachment_storage_name:
            return "-"
        url = reverse("admin:appointments_ledgerappeal_attachment", args=[appeal.pk])
        return format_html('<a href="{}">{}</a>', url, appeal.attachment_name)

    def get_urls(self):
        view = self.admin_site.admin_view(self.attachment_view)
        return [
            path(
                "<int:appeal_id>/attachment/",
                view,
                name="appointments_ledgerappeal_attachment",
            ),
            *super().get_urls(),
        ]

    def attachment_view(self, request: HttpRequest, appeal_id: int) -> HttpResponse:
        """The decrypted proof, to staff who may see the appeal (their hospital's)."""
        if not self.has_view_permission(request):
            raise Http404
        appeal = self.get_queryset(request).filter(pk=appeal_id).first()
        if appeal is None or not appeal.attachment_storage_name:
            raise Http404
        response = HttpResponse(
            appeal_attachment_content(appeal),
            content_type=appeal.attachment_content_type,
        )
        response["Content-Disposition"] = "attachment"
        response["X-Content-Type-Options"] = "nosniff"
        return response

    @admin.action(
        description=_("Accept the selected appeals (removes the record)"),
        permissions=["change"],
    )
    def accept(self, request: HttpRequest, queryset: QuerySet):
        return _decide(self, request, queryset, accept=True)

    @admin.action(description=_("Reject the selected appeals"), permissions=["change"])
    def reject(self, request: HttpRequest, queryset: QuerySet):
        return _decide(self, request, queryset, accept=False)
