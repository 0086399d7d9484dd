"""Staff views of payments: read-only, scoped to the staff member's hospital.

Nothing here changes money directly: the refund and retry actions call the services, which
check every rule and write the operation log.
"""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from billing import services
from billing.models import (
    PaymentLedgerEntry,
    PaymentOrder,
    ReconciliationReport,
    Refund,
)
from common.money import fen_to_yuan
from common.admin import HospitalScopedAdminMixin, user_sees_every_hospital
from common.errors import DomainError
from common.services import Actor


class ReadOnlyAdminMixin:
    """Forms show rows read-only; the list-level change permission only enables actions."""

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        if obj is not None:
            return False
        return super().has_change_permission(request, obj)  # type: ignore[misc]

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        return [field.name for field in self.model._meta.fields]  # type: ignore[attr-defined]

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


def _yuan(fen: int) -> str:
    return fen_to_yuan(fen)


class RefundInline(admin.TabularInline):
    model = Refund
    extra = 0
    can_delete = False
    fields = (
        "out_refund_no",
        "kind",
        "amount",
        "status",
        "failure_reason",
        "created_at",
    )
    readonly_fields = fields
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(PaymentOrder)
class PaymentOrderAdmin(ReadOnlyAdminMixin, HospitalScopedAdminMixin, admin.ModelAdmin):
    # No date_hierarchy: on MySQL it needs the server's time-zone tables.
    hospital_field = "appointment__hospital"
    list_display = (
        "out_trade_no",
        "channel",
        "status",
        "amount_yuan",
        "refunded_yuan",
        "appointment",
        "paid_at",
        "created_at",
    )
    list_filter = ("status", "channel", ("created_at", admin.DateFieldListFilter))
    search_fields = ("out_trade_no", "transaction_id", "appointment__order_no")
    list_select_related = ("appointment",)
    raw_id_fields = ("appointment", "user")
    inlines = [RefundInline]
    actions = ["refund_in_full"]

    @admin.display(description=_("amount (yuan)"), ordering="amount")
    def amount_yuan(self, obj: PaymentOrder) -> str:
        return _yuan(obj.amount)

    @admin.display(description=_("refunded (yuan)"), ordering="refunded_amount")
    def refunded_yuan(self, obj: PaymentOrder) -> str:
        return _yuan(obj.refunded_amount)

    @admin.action(
        description=_("Refund what is left of the selected orders"),
        permissions=["change"],
    )
    def refund_in_full(self, request: HttpRequest, queryset: QuerySet) -> None:
        actor = Actor.from_request(request)
        done = 0
        for order in queryset.order_by("pk"):
            try:
                services.refund_create_by_staff(order=order, actor=actor)
            except DomainError as exc:
                self.message_user(
                    request,
                    f"{order.out_trade_no}: {exc.message}",
                    level=messages.ERROR,
                )
            else:
                done += 1
        if done:
            self.message_user(
                request,
                _("%(count)d refunds requested.") % {"count": done},
                level=messages.SUCCESS,
            )


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdminMixin, HospitalScopedAdminMixin, admin.ModelAdmin):
    """Failed refunds stay here, visible, until staff retry them."""

    hospital_field = "order__appointment__hospital"
    list_display = (
        "out_refund_no",
        "kind",
        "status",
        "amount_yuan",
        "attempts",
        "failure_reason",
        "created_at",
        "succeeded_at",
    )
    list_filter = (
        "status",
        "kind",
        "order__channel",
        ("created_at", admin.DateFieldListFilter),
    )
    search_fields = ("out_refund_no", "channel_refund_id", "order__out_trade_no")
    list_select_related = ("order",)
    raw_id_fields = ("order",)
    actions = ["retry"]

    @admin.display(description=_("amount (yuan)"), ordering="amount")
    def amount_yuan(self, obj: Refund) -> str:
        return _yuan(obj.amount)

    @admin.action(
        description=_("Send the selected failed refunds again"), permissions=["change"]
    )
    def retry(self, request: HttpRequest, queryset: QuerySet) -> None:
        actor = Actor.from_request(request)
        done = 0
        for refund in queryset.order_by("pk"):
            try:
                services.refund_retry(refund=refund, actor=actor)
            except DomainError as exc:
                self.message_user(
                    request,
                    f"{refund.out_refund_no}: {exc.message}",
                    level=messages.ERROR,
                )
            else:
                done += 1
        if done:
            self.message_user(
                request,
                _("%(count)d refunds sent again.") % {"count": done},
                level=messages.SUCCESS,
            )


@admin.register(PaymentLedgerEntry)
class PaymentLedgerEntryAdmin(
    ReadOnlyAdminMixin, HospitalScopedAdminMixin, admin.ModelAdmin
):
    hospital_field = "order__appointment__hospital"
    list_display = (
        "key",
        "kind",
        "channel",
        "amount_yuan",
        "channel_reference",
        "created_at",
    )
    list_filter = ("kind", "channel", ("created_at", admin.DateFieldListFilter))
    search_fields = ("key", "channel_reference", "order__out_trade_no")
    list_select_related = ("order",)
    raw_id_fields = ("order", "refund")

    @admin.display(description=_("amount (yuan)"), ordering="amount")
    def amount_yuan(self, obj: PaymentLedgerEntry) -> str:
        return _yuan(obj.amount)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(ReconciliationReport)
class ReconciliationReportAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Bills cover every hospital, so only superusers and platform admins see them."""

    list_display = (
        "date",
        "channel",
        "matched",
        "missing_locally",
        "missing_at_channel",
        "amount_mismatches",
        "updated_at",
    )
    list_filter = ("channel",)
    date_hierarchy = "date"

    def has_module_permission(self, request: HttpRequest) -> bool:
        return user_sees_every_hospital(request.user) and super().has_module_permission(
            request
        )

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return user_sees_every_hospital(request.user) and super().has_view_permission(
            request, obj
        )

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
