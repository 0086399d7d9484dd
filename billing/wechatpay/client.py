"""The WeChat Pay API v3 client: JSAPI and Native prepay, the wx.requestPayment parameters, queries,
closing, refunds, and the entry point for notifications.

Configuration comes from settings.WECHATPAY_*. The SDK verifies the signature of every API
answer with the platform key, so a forged answer never reaches the caller. WeChat's answers
are turned into the exceptions of billing.wechatpay.resources; callers never see requests
or SDK exceptions.
"""

from __future__ import annotations

import datetime
import functools
import json
import logging
import secrets
import time
from collections.abc import Mapping
from pathlib import Path

import requests
from django.conf import settings
from django.utils import timezone
from wechatpayv3 import WeChatPayType

from billing.wechatpay import notifications
from billing.wechatpay.resources import (
    Notification,
    RefundResult,
    Trade,
    WeChatPayRejected,
    WeChatPayUnavailable,
)
from billing.wechatpay.sdk import GatewayCore, GatewayWeChatPay

logger = logging.getLogger(__name__)


def is_enabled() -> bool:
    return bool(settings.WECHATPAY_MCHID)


def get_client() -> WeChatPayClient:
    """The client for the current settings (built once per configuration)."""
    if not is_enabled():
        raise WeChatPayUnavailable("WeChat Pay is not configured")
    return _client_for(
        mchid=settings.WECHATPAY_MCHID,
        appid=settings.WECHATPAY_APPID,
        cert_serial_no=settings.WECHATPAY_CERT_SERIAL_NO,
        private_key_path=settings.WECHATPAY_PRIVATE_KEY_PATH,
        apiv3_key=settings.WECHATPAY_APIV3_KEY,
        platform_cert_dir=settings.WECHATPAY_PLATFORM_CERT_DIR,
        public_key_path=settings.WECHATPAY_PUBLIC_KEY_PATH,
        public_key_id=settings.WECHATPAY_PUBLIC_KEY_ID,
        notify_url=settings.WECHATPAY_NOTIFY_URL,
        refund_notify_url=settings.WECHATPAY_REFUND_NOTIFY_URL,
        api_base_url=settings.WECHATPAY_API_BASE_URL,
        timeout=settings.WECHATPAY_TIMEOUT_SECONDS,
    )


@functools.lru_cache(maxsize=4)
def _client_for(**config) -> WeChatPayClient:
    return WeChatPayClient(**config)


class WeChatPayClient:
    def __init__(
        self,
        *,
        mchid: str,
        appid: str,
        cert_serial_no: str,
        private_key_path: str,
        apiv3_key: str,
        notify_url: str,
        api_base_url: str,
        refund_notify_url: str = "",
        platform_cert_dir: str = "",
        public_key_path: str = "",
        public_key_id: str = "",
        timeout: int = 10,
    ) -> None:
        self.mchid = mchid
        self.appid = appid
        self.notify_url = notify_url
        self.refund_notify_url = refund_notify_url or notify_url
        self._apiv3_key = apiv3_key
        self._public_key_id = public_key_id
        try:
            core = GatewayCore(
                gateway=api_base_url.rstrip("/"),
                mchid=mchid,
                cert_serial_no=cert_serial_no,
                private_key=Path(private_key_path).read_text(),
                apiv3_key=apiv3_key,
                cert_dir=platform_cert_dir or None,
                logger=None,
                proxy=None,
                timeout=(timeout, timeout),
                public_key=Path(public_key_path).read_text()
                if public_key_path
                else None,
                public_key_id=public_key_id or None,
            )
        except requests.RequestException as exc:
            raise WeChatPayUnavailable(f"certificate download failed: {exc}") from exc
        except Exception as exc:
            # Core raises a bare Exception when no platform certificate could be had.
            if "platform certificate" in str(exc):
                raise WeChatPayUnavailable(str(exc)) from exc
            raise
        self._sdk = GatewayWeChatPay(
            mchid=mchid, appid=appid, notify_url=notify_url, core=core
        )
        self._core = core

    # -- API calls ---------------------------------------------------------------------

    def jsapi_prepay(
        self,
        *,
        out_trade_no: str,
        description: str,
        total: int,
        openid: str,
        time_expire: datetime.datetime | None = None,
    ) -> str:
        """Create the prepay order (JSAPI/小程序下单) and return its prepay_id."""
        data = self._call(
            self._sdk.pay,
            description=description[:127],
            out_trade_no=out_trade_no,
            amount={"total": total, "currency": "CNY"},
            payer={"openid": openid},
            time_expire=_rfc3339(time_expire) if time_expire else None,
            pay_type=WeChatPayType.MINIPROG,
        )
        prepay_id = data.get("prepay_id")
        if not prepay_id:
            raise WeChatPayUnavailable("prepay answer without prepay_id")
        return prepay_id

    def native_prepay(
        self,
        *,
        out_trade_no: str,
        description: str,
        total: int,
        time_expire: datetime.datetime | None = None,
    ) -> str:
        """Create a Native order (Native下单, paid by scanning a QR code with WeChat, for a
        web page outside WeChat) and return its code_url, the QR code's content."""
        data = self._call(
            self._sdk.pay,
            description=description[:127],
            out_trade_no=out_trade_no,
            amount={"total": total, "currency": "CNY"},
            time_expire=_rfc3339(time_expire) if time_expire else None,
            pay_type=WeChatPayType.NATIVE,
        )
        code_url = data.get("code_url")
        if not code_url:
            raise WeChatPayUnavailable("Native answer without code_url")
        return code_url

    def jsapi_pay_params(self, *, prepay_id: str) -> dict[str, str]:
        """The object wx.requestPayment takes: signed with the merchant key over
        "appId\\ntimeStamp\\nnonceStr\\npackage\\n" (RSA-SHA256)."""
        time_stamp = str(int(time.time()))
        nonce_str = secrets.token_hex(16)
        package = f"prepay_id={prepay_id}"
        pay_sign = self._sdk.sign([self.appid, time_stamp, nonce_str, package])
        return {
            "timeStamp": time_stamp,
            "nonceStr": nonce_str,
            "package": package,
            "signType": "RSA",
            "paySign": pay_sign,
        }

    def query_trade(self, *, out_trade_no: str) -> Trade | None:
        """The order's state at WeChat Pay; None when WeChat has no such order."""
        try:
            data = self._call(self._sdk.query, out_trade_no=out_trade_no)
        except WeChatPayRejected as exc:
            if exc.code == "ORDER_NOT_EXIST":
                return None
            raise
        return Trade.from_resource(data)

    def close_trade(self, *, out_trade_no: str) -> None:
        """Close an unpaid order so it can no longer be paid."""
        self._call(self._sdk.close, out_trade_no=out_trade_no)

    def refund(
        self,
        *,
        out_refund_no: str,
        out_trade_no: str,
        refund: int,
        total: int,
        reason: str = "",
    ) -> RefundResult:
        """Apply for a refund (申请退款). The same out_refund_no never refunds twice."""
        data = self._call(
            self._sdk.refund,
            out_refund_no=out_refund_no,
            out_trade_no=out_trade_no,
            amount={"refund": refund, "total": total, "currency": "CNY"},
            reason=reason[:80] or None,
            notify_url=self.refund_notify_url,
        )
        return RefundResult.from_resource(data)

    def query_refund(self, *, out_refund_no: str) -> RefundResult | None:
        try:
            data = self._call(self._sdk.query_refund, out_refund_no=out_refund_no)
        except WeChatPayRejected as exc:
            if exc.code == "RESOURCE_NOT_EXISTS":
                return None
            raise
        return RefundResult.from_resource(data)

    def parse_notification(
        self, *, headers: Mapping[str, str], body: bytes, now: float | None = None
    ) -> Notification:
        """Verify and decrypt one notification; raises NotificationRejected
        (billing.wechatpay.notifications)."""
        return notifications.parse_notification(
            headers=headers,
            body=body,
            apiv3_key=self._apiv3_key,
            platform_key=lambda serial: notifications.platform_key_for(
                self._core, serial, public_key_id=self._public_key_id
            ),
            now=now,
        )

    def _call(self, method, **kwargs) -> dict:
        try:
            status, body = method(**kwargs)
        except requests.RequestException as exc:
            raise WeChatPayUnavailable(str(exc)) from exc
        except Exception as exc:
            # The SDK raises a bare Exception when an answer's signature does not verify.
            if "verify the signature" in str(exc):
                logger.error("WeChat Pay answer failed signature verification")
                raise WeChatPayUnavailable("answer signature invalid") from exc
            raise
        if isinstance(body, bytes):
            body = body.decode("utf-8", "replace")
        if 200 <= status < 300:
            if not body:
                return {}
            try:
                data = json.loads(body)
            except (ValueError, RecursionError) as exc:
                raise WeChatPayUnavailable("answer is not JSON") from exc
            if not isinstance(data, dict):
                raise WeChatPayUnavailable("answer is not a JSON object")
            return data
        try:
            error = json.loads(body) if body else {}
        except ValueError:
            error = {}
        code, message = str(error.get("code", "")), str(error.get("message", ""))
        if status >= 500 or status == 429:
            raise WeChatPayUnavailable(f"{status} {code}: {message}")
        raise WeChatPayRejected(status, code, message)


def _rfc3339(moment: datetime.datetime) -> str:
    return timezone.localtime(moment).isoformat(timespec="seconds")
