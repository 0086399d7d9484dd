"""What WeChat Pay answers, as our types: its errors, trades, refunds and notifications."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _

from billing.errors import ErrorCode
from common.errors import ServiceUnavailable

# trade_state values (查询订单): the money was received in both.
PAID_TRADE_STATES = frozenset({"SUCCESS", "REFUND"})


class WeChatPayUnavailable(ServiceUnavailable):
    """WeChat Pay did not answer usefully (network, 5xx, throttled, unverifiable answer)."""

    def __init__(self, detail: str = "") -> None:
        super().__init__(
            ErrorCode.WECHATPAY_UNAVAILABLE,
            _("WeChat Pay is not available right now, please try again later."),
        )
        self.detail = detail


class WeChatPayRejected(Exception):
    """WeChat Pay answered a 4xx with an error code (e.g. ORDERPAID, NOT_ENOUGH)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message


class NotificationRejected(Exception):
    """A notification failed verification; `reason` is for logs and the FAIL answer."""

    def __init__(self, reason: str, *, status: int = 400) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


@dataclass(frozen=True)
class Trade:
    """A payment order as WeChat Pay sees it (查询订单 / 支付成功通知 resource)."""

    out_trade_no: str
    trade_state: str
    transaction_id: str
    total: int | None  # fen
    mchid: str
    appid: str
    success_time: datetime.datetime | None

    @property
    def is_paid(self) -> bool:
        return self.trade_state in PAID_TRADE_STATES

    @classmethod
    def from_resource(cls, data: Mapping) -> Trade:
        amount = data.get("amount") or {}
        total = amount.get("total")
        return cls(
            out_trade_no=str(data.get("out_trade_no", "")),
            trade_state=str(data.get("trade_state", "")),
            transaction_id=str(data.get("transaction_id") or ""),
            total=total if isinstance(total, int) else None,
            mchid=str(data.get("mchid", "")),
            appid=str(data.get("appid", "")),
            success_time=parse_time(data.get("success_time")),
        )


@dataclass(frozen=True)
class RefundResult:
    """A refund as WeChat Pay sees it. status: SUCCESS, PROCESSING, CLOSED or ABNORMAL."""

    out_refund_no: str
    out_trade_no: str
    refund_id: str
    status: str
    refund: int | None  # fen
    success_time: datetime.datetime | None

    @classmethod
    def from_resource(cls, data: Mapping) -> RefundResult:
        amount = data.get("amount") or {}
        refund = amount.get("refund")
        # The refund notification names the field refund_status, the API answer status.
        status = data.get("status") or data.get("refund_status") or ""
        return cls(
            out_refund_no=str(data.get("out_refund_no", "")),
            out_trade_no=str(data.get("out_trade_no", "")),
            refund_id=str(data.get("refund_id") or ""),
            status=str(status),
            refund=refund if isinstance(refund, int) else None,
            success_time=parse_time(data.get("success_time")),
        )


@dataclass(frozen=True)
class Notification:
    id: str
    event_type: str
    resource: dict


def parse_time(value: object) -> datetime.datetime | None:
    """RFC 3339 with offset ("2018-06-08T10:34:56+08:00") -> aware datetime."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if timezone.is_aware(parsed) else None
