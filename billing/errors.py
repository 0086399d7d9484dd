"""The error codes billing raises: stable snake_case values the clients switch on.

Each is raised with a human message (gettext) in a common.errors.DomainError subclass;
the API renders {"error": {"code": ..., "message": ..., "fields": {}}}.
"""

from enum import StrEnum


class ErrorCode(StrEnum):
    ALIPAY_UNAVAILABLE = "alipay_unavailable"
    AMOUNT_MISMATCH = "amount_mismatch"
    APPOINTMENT_NOT_PAYABLE = "appointment_not_payable"
    CHANNEL_CLOSE_FAILED = "channel_close_failed"
    CHANNEL_NOT_AVAILABLE = "channel_not_available"
    CHANNEL_REFUSED = "channel_refused"
    INVALID_REFUND_AMOUNT = "invalid_refund_amount"
    NOTIFICATION_REJECTED = "notification_rejected"
    NOTHING_TO_PAY = "nothing_to_pay"
    NOTHING_TO_REFUND = "nothing_to_refund"
    NOT_A_DEV_ORDER = "not_a_dev_order"
    ORDER_CLOSED = "order_closed"
    ORDER_NOT_PAID = "order_not_paid"
    ORDER_OUTDATED = "order_outdated"
    PAYMENT_ORDER_NOT_FOUND = "payment_order_not_found"
    PAYMENT_TIME_EXPIRED = "payment_time_expired"
    REFUND_ALREADY_REQUESTED = "refund_already_requested"
    REFUND_EXCEEDS_PAYMENT = "refund_exceeds_payment"
    REFUND_NOT_FAILED = "refund_not_failed"
    RESCHEDULE_REFUND_TAKEN = "reschedule_refund_taken"
    TRANSACTION_ID_MISSING = "transaction_id_missing"
    UNKNOWN_CHANNEL = "unknown_channel"
    WECHATPAY_UNAVAILABLE = "wechatpay_unavailable"
    WECHAT_LOGIN_REQUIRED = "wechat_login_required"


class NotificationRejected(Exception):
    """A payment channel's notification failed verification or matches none of our records.

    `reason` is for the logs; `status` is the HTTP status of the refusal the channel gets.
    Both channels' clients raise it (billing.wechatpay, billing.alipay).
    """

    def __init__(self, reason: str, *, status: int = 400) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status
