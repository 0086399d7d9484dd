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
        return cls(
            out_trade_no=text_field(data, "out_trade_no"),
            trade_state=text_field(data, "trade_state"),
            transaction_id=text_field(data, "transaction_id"),
            total=fen_field(data.get("amount"), "total"),
            mchid=text_field(data, "mchid"),
            appid=text_field(data, "appid"),
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
        # The refund notification names the field refund_status, the API answer status.
        status = text_field(data, "status") or text_field(data, "refund_status")
        return cls(
            out_refund_no=text_field(data, "out_refund_no"),
            out_trade_no=text_field(data, "out_trade_no"),
            refund_id=text_field(data, "refund_id"),
            status=status,
            refund=fen_field(data.get("amount"), "refund"),
            success_time=parse_time(data.get("success_time")),
        )


@dataclass(frozen=True)
class Notification:
    id: str
    event_type: str
    resource: dict


# Longer than any identifier WeChat Pay sends (ours are at most 64 characters too).
MAX_TEXT_LENGTH = 64
# More fen than any single payment could be (100 million yuan).
MAX_FEN = 10_000_000_000


def text_field(data: Mapping, name: str) -> str:
    """A string field of WeChat's JSON; "" when absent or not a short string.

    A number or an object where a string belongs is not turned into one: it matches none
    of our records, so the notification is refused as unknown.
    """
    value = data.get(name)
    if not isinstance(value, str) or len(value) > MAX_TEXT_LENGTH:
        return ""
    return value


def fen_field(amount: object, name: str) -> int | None:
    """An amount in fen from WeChat's "amount" object; None unless a plausible integer."""
    if not isinstance(amount, Mapping):
        return None
    value = amount.get(name)
    # bool is an int in Python: true must not read as 1 fen.
    if not isinstance(value, int) or isinstance(value, bool):
        return None
    return value if 0 <= value <= MAX_FEN else None


def parse_time(value: object) -> datetime.datetime | None:
    """RFC 3339 with offset ("2018-06-08T10:34:56+08:00") -> aware datetime."""
    if not isinstance(value, str) or not value or len(value) > MAX_TEXT_LENGTH:
        return None
    try:
        parsed = datetime.datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if timezone.is_aware(parsed) else None
