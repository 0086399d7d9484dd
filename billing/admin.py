"""Staff views of payments: read-only, scoped to the staff member's hospital.

Nothing here changes money directly: the refund and retry actions call the services, which
check every rule and write the operation log. Hospital staff get the view permissions and
the refund retry through their role (see BillingConfig.ready).
"""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.selectors import patient_profile_search_q
from billing import services
from billing.models import (
    PaymentAlert,
    PaymentLedgerEntry,
    PaymentOrder,
    ReconciliationReport,
    Refund,
)
from billing.payables import payable_handler
from billing.refund_texts import channel_failure_display, refund_reason_display
from common.admin import (
    PlatformReadOnlyAdmin,
    ScopedReadOnlyAdmin,
    run_service_action,
)
from common.money import yuan_display
from common.services import Actor


def _yuan(fen: int) -> str:
    return yuan_display(fen)


class RefundInline(admin.TabularInline):
    model = Refund
    extra = 0
    can_delete = False
    fields = (
        "out_refund_no",
        "kind",
        "amount_yuan",
        "status",
        "failure",
        "created_at",
    )
    readonly_fields = fields
    show_change_link = True

    @admin.display(description=_("amount"))
    def amount_yuan(self, obj: Refund) -> str:
        return _yuan(obj.amount)

    @admin.display(description=_("failure reason"))
    def failure(self, obj: Refund) -> str:
        return channel_failure_display(obj.failure_reason)

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


def _patient_name(order: PaymentOrder) -> str:
    """The patient an order was paid for: the appointment's, or the payable owner's."""
    if order.appointment_id is None:
        return payable_handler(order.kind).patient_name(order.ref_id)
    return order.appointment.profile.name


@admin.register(PaymentOrder)
class PaymentOrderAdmin(ScopedReadOnlyAdmin):
    # No date_hierarchy: on MySQL it needs the server's time-zone tables.
    hospital_field = "hospital"
    list_display = (
        "out_trade_no",
        "channel",
        "status",
        "amount_yuan",
        "refunded_yuan",
        "patient",
        "kind",
        "appointment",
        "ref_id",
        "paid_at",
        "created_at",
    )
    list_filter = (
        "status",
        "kind",
        "channel",
        "scene",
        ("created_at", admin.DateFieldListFilter),
    )
    search_fields = ("out_trade_no", "transaction_id", "appointment__order_no")
    list_select_related = ("appointment__profile",)
    # The payer's platform account is not the desk's business: the patient is named.
    exclude = ("user",)
    readonly_fields = ("patient",)
    inlines = [RefundInline]
    actions = ["refund_in_full"]

    @admin.display(description=_("amount"), ordering="amount")
    def amount_yuan(self, obj: PaymentOrder) -> str:
        return _yuan(obj.amount)

    @admin.display(description=_("patient"))
    def patient(self, obj: PaymentOrder) -> str:
        return _patient_name(obj)

    @admin.display(description=_("refunded"), ordering="refunded_amount")
    def refunded_yuan(self, obj: PaymentOrder) -> str:
        return _yuan(obj.refunded_amount)

    @admin.action(
        description=_("Refund what is left of the selected orders"),
        permissions=["change"],
    )
    def refund_in_full(self, request: HttpRequest, queryset: QuerySet) -> None:
        actor = Actor.from_request(request)
        run_service_action(
            self,
            request,
            queryset.order_by("pk"),
            lambda order: services.refund_create_by_staff(order=order, actor=actor),
            label=lambda order: order.out_trade_no,
            success_message=gettext("%(count)d refunds requested."),
        )


@admin.register(Refund)
class RefundAdmin(ScopedReadOnlyAdmin):
    """Failed refunds stay here, visible, until staff retry them."""

    hospital_field = "order__hospital"
    list_display = (
        "patient",
        "doctor",
        "visit",
        "kind",
        "status",
        "amount_yuan",
        "attempts",
        "failure",
        "created_at",
    )
    list_filter = (
        "status",
        "kind",
        "order__channel",
        ("created_at", admin.DateFieldListFilter),
    )
    search_fields = (
        "out_refund_no",
        "channel_refund_id",
        "order__out_trade_no",
        "order__appointment__order_no",
    )
    search_help_text = _(
        "Search by the patient's exact full name, the refund, payment or appointment "
        "number."
    )
    list_select_related = (
        "order__appointment__profile",
        "order__appointment__doctor",
    )
    fields = (
        "patient",
        "doctor",
        "visit",
        "appointment_no",
        "order",
        "out_refund_no",
        "kind",
        "reason_display",
        "amount_yuan",
        "status",
        "failure",
        "failure_reason",
        "attempts",
        "channel_refund_id",
        "submitted_at",
        "succeeded_at",
        "created_at",
    )
    actions = ["retry"]

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ):
        # Names are encrypted: the exact full name is found through its lookup hash.
        results, may_have_duplicates = super().get_search_results(
            request, queryset, search_term
        )
        exact = patient_profile_search_q(
            search_term, path="order__appointment__profile"
        )
        if exact is not None:
            results = results | queryset.filter(exact)
        return results, may_have_duplicates

    @admin.display(description=_("patient"))
    def patient(self, obj: Refund) -> str:
        return _patient_name(obj.order)

    @admin.display(description=_("doctor"), ordering="order__appointment__doctor__name")
    def doctor(self, obj: Refund) -> str:
        appointment = obj.order.appointment
        return appointment.doctor.name if appointment else ""

    @admin.display(
        description=_("visit"), ordering="order__appointment__visit_starts_at"
    )
    def visit(self, obj: Refund) -> str:
        appointment = obj.order.appointment
        if appointment is None:
            return str(obj.order.get_kind_display())
        starts = timezone.localtime(appointment.visit_starts_at)
        return f"{starts:%Y-%m-%d %H:%M}"

    @admin.display(description=_("order number"))
    def appointment_no(self, obj: Refund) -> str:
        appointment = obj.order.appointment
        return appointment.order_no if appointment else obj.order.out_trade_no

    @admin.display(description=_("amount"), ordering="amount")
    def amount_yuan(self, obj: Refund) -> str:
        return _yuan(obj.amount)

    @admin.display(description=_("failure reason"))
    def failure(self, obj: Refund) -> str:
        return channel_failure_display(obj.failure_reason)

    @admin.display(description=_("reason"))
    def reason_display(self, obj: Refund) -> str:
        return refund_reason_display(obj.reason)

    @admin.action(
        description=_("Send the selected failed refunds again"), permissions=["change"]
    )
    def retry(self, request: HttpRequest, queryset: QuerySet) -> None:
        actor = Actor.from_request(request)
        run_service_action(
            self,
            request,
            queryset.select_related("order__appointment__profile").order_by("pk"),
            lambda refund: services.refund_retry(refund=refund, actor=actor),
            label=lambda refund: _patient_name(refund.order),
            success_message=gettext("%(count)d refunds sent again."),
        )


@admin.register(PaymentLedgerEntry)
class PaymentLedgerEntryAdmin(ScopedReadOnlyAdmin):
    hospital_field = "order__hospital"
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

    @admin.display(description=_("amount"), ordering="amount")
    def amount_yuan(self, obj: PaymentLedgerEntry) -> str:
        return _yuan(obj.amount)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(PaymentAlert)
class PaymentAlertAdmin(ScopedReadOnlyAdmin):
    """The abnormal-payment audit's hits (安全审计), written by payments_audit.

    Staff see the hits whose payments are all at their hospital; hits across hospitals
    or by IP address are for the platform only.
    """

    hospital_field = "hospital"
    hospital_columns = ("hospital",)
    list_display = (
        "day",
        "rule",
        "subject",
        "hospital",
        "count",
        "amount_yuan",
        "detail",
        "created_at",
    )
    list_filter = ("rule", "hospital", ("day", admin.DateFieldListFilter))
    search_fields = ("subject", "detail", "order__out_trade_no")
    list_select_related = ("hospital", "order", "user")
    raw_id_fields = ("hospital", "order", "user")
    date_hierarchy = "day"

    @admin.display(description=_("amount"), ordering="amount")
    def amount_yuan(self, obj: PaymentAlert) -> str:
        return _yuan(obj.amount) if obj.amount is not None else "-"

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(ReconciliationReport)
class ReconciliationReportAdmin(PlatformReadOnlyAdmin):
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
