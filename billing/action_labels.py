"""Readable labels of the operation-log action codes the billing services write."""

from django.utils.translation import gettext_lazy as _

ACTION_LABELS = {
    "billing.order_create": _("Payment order created"),
    "billing.order_paid": _("Payment received"),
    "billing.order_close": _("Payment order closed"),
    "billing.order_closed": _("Payment order closed"),
    "billing.order_refunding": _("Refund in progress"),
    "billing.order_refunded": _("Payment refunded in full"),
    "billing.order_partially_refunded": _("Payment partly refunded"),
    "billing.refund_request": _("Refund requested"),
    "billing.refund_retry": _("Refund sent again"),
    "billing.refund_succeeded": _("Refund completed"),
    "billing.refund_failed": _("Refund failed"),
    "billing.reconcile": _("Bill reconciled"),
    "billing.order_paid_again": _("Paid order reported paid again"),
    "billing.payment_amount_refused": _("Payment with another amount refused"),
    "billing.refund_notification_refused": _("Refund notification refused"),
    "billing.payment_alert": _("Abnormal payment found"),
}
