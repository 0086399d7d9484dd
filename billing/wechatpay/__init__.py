"""WeChat Pay (API v3): the only package that talks to WeChat Pay.

It wraps the `wechatpayv3` SDK for the mini-program (JSAPI) and adds what the SDK leaves to
the merchant, one concern a module:
- client: the API calls, the wx.requestPayment parameters, the client for the settings;
- sdk: the SDK made to talk to the configured gateway;
- notifications: the strict check and decryption of incoming notifications (timestamp
  window, probe signatures, unknown serials);
- resources: WeChat's answers as our types and errors.
"""

from billing.errors import NotificationRejected
from billing.wechatpay.client import WeChatPayClient, get_client, is_enabled
from billing.wechatpay.notifications import (
    NOTIFY_MAX_SKEW_SECONDS,
    PROBE_SIGNATURE_PREFIX,
    SIGNATURE_TYPE,
)
from billing.wechatpay.resources import (
    PAID_TRADE_STATES,
    Notification,
    RefundResult,
    Trade,
    WeChatPayRejected,
    WeChatPayUnavailable,
    fen_field,
    parse_time,
    text_field,
)

__all__ = [
    "NOTIFY_MAX_SKEW_SECONDS",
    "PAID_TRADE_STATES",
    "PROBE_SIGNATURE_PREFIX",
    "SIGNATURE_TYPE",
    "Notification",
    "NotificationRejected",
    "RefundResult",
    "Trade",
    "WeChatPayClient",
    "WeChatPayRejected",
    "WeChatPayUnavailable",
    "fen_field",
    "get_client",
    "is_enabled",
    "parse_time",
    "text_field",
]
