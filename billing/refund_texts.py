"""Readable Chinese for what the channels and services store about refunds.

A refund's `failure_reason` keeps the channel's own answer ("ABNORMAL", "400 NOT_ENOUGH:
...", "40004 ACQ.REFUND_AMT_NOT_EQUAL_TOTAL: ..."), and its `reason` the service's code
("cancel:patient", "stop_clinic", "seat_no_longer_available: ..."). Both stay as stored,
for support and reconciliation; these functions say them in the staff's language.
"""

import re

from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

# WeChat Pay refund states and error codes, and Alipay refund sub-codes, that end a refund.
CHANNEL_FAILURES: dict[str, str | Promise] = {
    # WeChat Pay
    "ABNORMAL": _(
        "Refund abnormal: the payer's bank card or account cannot receive it; "
        "refund to another account at the WeChat Pay merchant platform"
    ),
    "CLOSED": _("Refund closed by WeChat Pay"),
    "NOT_ENOUGH": _("Not enough balance in the merchant account"),
    "USER_ACCOUNT_ABNORMAL": _("The payer's account is abnormal"),
    "FREQUENCY_LIMITED": _("Too many requests; try again later"),
    "INVALID_REQUEST": _("The channel rejected the request as invalid"),
    "PARAM_ERROR": _("The channel rejected a parameter of the request"),
    "RESOURCE_NOT_EXISTS": _("The channel does not know this order"),
    "ORDER_NOT_EXIST": _("The channel does not know this order"),
    "NO_AUTH": _("The merchant is not allowed to refund"),
    "SIGN_ERROR": _("Signature check failed at the channel"),
    "SYSTEM_ERROR": _("Channel system error; try again later"),
    "SYSTEMERROR": _("Channel system error; try again later"),
    # Alipay
    "ACQ.TRADE_NOT_EXIST": _("The channel does not know this order"),
    "ACQ.TRADE_STATUS_ERROR": _("The payment cannot be refunded in its current state"),
    "ACQ.TRADE_HAS_FINISHED": _("The payment is closed and can no longer be refunded"),
    "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL": _(
        "The refund amount does not match an earlier refund with this number"
    ),
    "ACQ.REFUND_AMOUNT_EXCEED": _("The refund exceeds what was paid"),
    "ACQ.SELLER_BALANCE_NOT_ENOUGH": _("Not enough balance in the merchant account"),
    "ACQ.BUYER_ERROR": _("The payer's account is abnormal"),
    "ACQ.REFUND_FEE_ERROR": _("The refund amount is not valid"),
    "ACQ.SYSTEM_ERROR": _("Channel system error; try again later"),
    "ACQ.INVALID_PARAMETER": _("The channel rejected a parameter of the request"),
}

# An upper-case code such as NOT_ENOUGH or ACQ.TRADE_NOT_EXIST (an "aop." prefix dropped).
_CODE = re.compile(r"\b(?:aop\.)?([A-Z][A-Z0-9]*(?:[._][A-Z0-9]+)+|[A-Z]{4,})\b")

# What the services write as a refund's reason, or as its prefix before ":".
REASONS: dict[str, str | Promise] = {
    "cancel": _("Appointment cancelled"),
    "cancel:patient": _("Cancelled by the patient"),
    "cancel:staff": _("Cancelled by the hospital"),
    "cancel:timeout": _("Released: not paid in time"),
    "cancel:stop_clinic": _("Stop-clinic refund"),
    "stop_clinic": _("Stop-clinic refund"),
    "consult_cancel": _("Online consult cancelled"),
    "consult_cancel:overdue": _("Online consult not answered in time"),
    "consult_cancel:withdrawn": _("Online consult withdrawn"),
    "consult_cancel:unpaid": _("Online consult not paid in time"),
    "seat_no_longer_available": _("Paid after the seat was released"),
    "the appointment was already paid by another order": _(
        "The appointment was already paid by another order"
    ),
}


def channel_failure_display(failure: str) -> str:
    """'400 NOT_ENOUGH: ...' -> the Chinese for NOT_ENOUGH; unknown -> '渠道错误：<code>'."""
    failure = failure.strip()
    if not failure:
        return ""
    codes = [match.group(1) for match in _CODE.finditer(failure)]
    for code in codes:
        if code in CHANNEL_FAILURES:
            return str(CHANNEL_FAILURES[code])
    shown = codes[0] if codes else failure
    return gettext("Channel error: %(code)s") % {"code": shown}


def refund_reason_display(reason: str) -> str:
    """A stored refund reason in the staff's language; unknown reasons unchanged."""
    reason = reason.strip()
    if reason in REASONS:
        return str(REASONS[reason])
    prefix = reason.split(":", 1)[0].strip()
    if prefix in REASONS:
        return str(REASONS[prefix])
    if reason.startswith("refunded by staff"):
        return gettext("Refunded by staff")
    return reason
