"""Consults per hospital and doctor, read-only, with their messages.

The problem and the messages are shown decrypted only to users with the permission
`consult.view_consult_text` (platform admins by role; others by a group a superuser
gives); each such opening is logged (consult.ConsultAccess), as records logs its
readings. Others see the consult's course without its text.
"""

from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from common.admin import OperationLogHistoryMixin, ScopedReadOnlyAdmin
from common.money import yuan_display
from common.services import Actor
from consult.models import Consult, ConsultAccess, ConsultMessage
from consult.services.access import consult_access_write

TEXT_PERMISSION = "consult.view_consult_text"


def can_read_text(request: HttpRequest) -> bool:
    return request.user.has_perm(TEXT_PERMISSION)


def _visible(request: HttpRequest, fields: tuple, text_field: str) -> list:
    """The fields to show: the text ones only to those who may read it. Decided per
    request (an admin instance serves every request, so it keeps no such state)."""
    if can_read_text(request):
        return list(fields)
    return [name for name in fields if name != text_field]


class MessageInline(admin.TabularInline):
    model = ConsultMessage
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = False
    ordering = ("id",)
    fields = readonly_fields = (
        "created_at",
        "sender",
        "kind",
        "text_shown",
        "recalled_at",
        "hidden_at",
    )

    @admin.display(description=_("text"))
    def text_shown(self, obj: ConsultMessage) -> str:
        return obj.text or "—"

    def get_fields(self, request: HttpRequest, obj=None) -> list:
        return _visible(request, self.fields, "text_shown")

    def get_readonly_fields(self, request: HttpRequest, obj=None) -> list:
        return self.get_fields(request, obj)

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Consult)
class ConsultAdmin(OperationLogHistoryMixin, ScopedReadOnlyAdmin):
    hospital_field = "hospital"
    hospital_columns = ("hospital",)
    list_display = (
        "id",
        "created_at",
        "patient",
        "doctor",
        "status",
        "fee_display",
        "closed_at",
        "stars",
        "hospital",
    )
    list_filter = (
        "status",
        ("created_at", admin.DateFieldListFilter),
        # Only the doctors of the consults listed (one hospital's, for its staff).
        ("doctor", admin.RelatedOnlyFieldListFilter),
        "hospital",
    )
    search_fields = ("=id", "doctor__name", "profile__name")
    list_select_related = ("profile", "doctor", "hospital")
    fields = (
        "id",
        "status",
        "hospital",
        "doctor",
        "patient",
        "fee_display",
        "problem_shown",
        "created_at",
        "reply_deadline",
        "started_at",
        "last_message_at",
        "closed_at",
        "closed_by",
        "stars",
        "rating_comment",
        "rated_at",
        "record_link",
        "refunds_link",
    )
    inlines = (MessageInline,)
    operation_log_related = ("messages",)

    def get_fields(self, request: HttpRequest, obj=None) -> list:
        return _visible(request, self.fields, "problem_shown")

    def get_readonly_fields(self, request: HttpRequest, obj=None) -> list:
        return self.get_fields(request, obj)

    @admin.display(description=_("patient"))
    def patient(self, obj: Consult) -> str:
        return obj.profile.name

    @admin.display(description=_("fee"), ordering="fee")
    def fee_display(self, obj: Consult) -> str:
        return yuan_display(obj.fee)

    @admin.display(description=_("problem"))
    def problem_shown(self, obj: Consult) -> str:
        return obj.problem

    @admin.display(description=_("medical record"))
    def record_link(self, obj: Consult) -> str:
        if obj.record_id is None:
            return "—"
        url = reverse("admin:records_visitrecord_change", args=[obj.record_id])
        return format_html('<a href="{}">#{}</a>', url, obj.record_id)

    @admin.display(description=_("payments and refunds"))
    def refunds_link(self, obj: Consult) -> str:
        # Payment orders and their refunds are billing's pages.
        url = reverse("admin:billing_paymentorder_changelist")
        return format_html('<a href="{}">{}</a>', url, _("Payment orders"))

    def change_view(
        self, request: HttpRequest, object_id: str, form_url="", extra_context=None
    ):
        consult = self.get_object(request, object_id)
        if (
            consult is not None
            and self.has_view_permission(request, consult)
            and can_read_text(request)
        ):
            consult_access_write(
                actor=Actor.from_request(request),
                consult=consult,
                what=ConsultAccess.What.TRANSCRIPT,
            )
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(ConsultAccess)
class ConsultAccessAdmin(ScopedReadOnlyAdmin):
    """Who read which consult's text in the admin."""

    hospital_field = "consult__hospital"
    list_display = ("accessed_at", "reader", "role", "what", "consult", "ip")
    list_filter = ("what", "role")
    list_select_related = ("reader", "consult")
    fields = ("accessed_at", "reader", "role", "what", "consult", "ip")
