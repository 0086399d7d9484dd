"""The WeChat Pay API v3 client: the only module that talks to WeChat Pay.

It wraps the `wechatpayv3` SDK for the mini-program (JSAPI) and adds what the SDK leaves to
the merchant: a configurable gateway, the wx.requestPayment parameters, and a strict check of
incoming notifications (timestamp window, probe signatures, unknown serials).

Configuration comes from settings.WECHATPAY_*. The SDK verifies the signature of every API
answer with the platform key, so a forged answer never reaches the caller. WeChat's answers
are turned into the exceptions below; callers never see requests or SDK exceptions.
"""

from __future__ import annotations

import datetime
import functools
import json
import logging
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import requests
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from wechatpayv3 import WeChatPay, WeChatPayType
from wechatpayv3.core import Core
from wechatpayv3.utils import aes_decrypt, rsa_verify

from common.errors import ServiceUnavailable

logger = logging.getLogger(__name__)

# WeChat sends notifications with deliberately wrong signatures starting with this, to check
# that merchants really verify them ("签名探测"). They must be rejected.
PROBE_SIGNATURE_PREFIX = "WECHATPAY/SIGNTEST/"
# A notification whose timestamp is further than this from our clock is refused (replay).
NOTIFY_MAX_SKEW_SECONDS = 300
SIGNATURE_TYPE = "WECHATPAY2-SHA256-RSA2048"

# trade_state values (查询订单): the money was received in both.
PAID_TRADE_STATES = frozenset({"SUCCESS", "REFUND"})


class WeChatPayUnavailable(ServiceUnavailable):
    """WeChat Pay did not answer usefully (network, 5xx, throttled, unverifiable answer)."""

    def __init__(self, detail: str = "") -> None:
        super().__init__(
            "wechatpay_unavailable",
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


class _GatewayCore(Core):
    """The SDK's Core with the gateway taken from settings.

    Core hard-codes https://api.mch.weixin.qq.com in `self._gate_way` (the attribute every
    request, and the SDK's own download_bill, builds URLs from). In platform-certificate mode
    Core.__init__ already calls the gateway (to download certificates) as its last step, so
    the configured URL is put in place before that call as well as after __init__.
    """

    def __init__(self, *, gateway: str, **kwargs) -> None:
        self._configured_gateway = gateway
        super().__init__(**kwargs)
        self._gate_way = gateway

    def _init_certificates(self) -> None:
        self._gate_way = self._configured_gateway
        super()._init_certificates()


class _WeChatPay(WeChatPay):
    """WeChatPay built on _GatewayCore.

    WeChatPay.__init__ only stores these attributes and builds a stock Core; it is not called,
    because the stock Core would talk to the hard-coded gateway during construction.
    """

    def __init__(self, *, mchid: str, appid: str, notify_url: str, core: Core) -> None:
        self._type = WeChatPayType.MINIPROG
        self._mchid = mchid
        self._appid = appid
        self._notify_url = notify_url
        self._core = core
        self._partner_mode = False


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
            core = _GatewayCore(
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
        self._sdk = _WeChatPay(
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
                return json.loads(body)
            except ValueError as exc:
                raise WeChatPayUnavailable("answer is not JSON") from exc
        try:
            error = json.loads(body) if body else {}
        except ValueError:
            error = {}
        code, message = str(error.get("code", "")), str(error.get("message", ""))
        if status >= 500 or status == 429:
            raise WeChatPayUnavailable(f"{status} {code}: {message}")
        raise WeChatPayRejected(status, code, message)

    # -- notifications -----------------------------------------------------------------

    def parse_notification(
        self, *, headers: Mapping[str, str], body: bytes, now: float | None = None
    ) -> Notification:
        """Verify and decrypt one notification (支付/退款结果通知). Raises NotificationRejected.

        `headers` must look names up case-insensitively (Django's request.headers does).
        """
        signature = headers.get("Wechatpay-Signature", "")
        timestamp = headers.get("Wechatpay-Timestamp", "")
        nonce = headers.get("Wechatpay-Nonce", "")
        serial = headers.get("Wechatpay-Serial", "")
        signature_type = headers.get("Wechatpay-Signature-Type", SIGNATURE_TYPE)
        if not (signature and timestamp and nonce and serial):
            raise NotificationRejected("missing signature headers", status=401)
        if signature.startswith(PROBE_SIGNATURE_PREFIX):
            raise NotificationRejected("probe signature", status=401)
        if signature_type != SIGNATURE_TYPE:
            raise NotificationRejected("unsupported signature type", status=401)
        try:
            sent_at = int(timestamp)
        except ValueError:
            raise NotificationRejected("bad timestamp", status=401) from None
        now = time.time() if now is None else now
        if abs(now - sent_at) > NOTIFY_MAX_SKEW_SECONDS:
            raise NotificationRejected("timestamp outside 5 minutes", status=401)
        public_key = self._platform_key(serial)
        if public_key is None:
            raise NotificationRejected("unknown Wechatpay-Serial", status=401)
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise NotificationRejected("body is not UTF-8") from None
        if not rsa_verify(timestamp, nonce, text, signature, public_key):
            raise NotificationRejected("signature does not verify", status=401)

        try:
            envelope = json.loads(text)
            resource = envelope["resource"]
            algorithm = resource["algorithm"]
            plaintext = None
            if algorithm == "AEAD_AES_256_GCM":
                plaintext = aes_decrypt(
                    nonce=resource["nonce"],
                    ciphertext=resource["ciphertext"],
                    associated_data=resource.get("associated_data") or "",
                    apiv3_key=self._apiv3_key,
                )
        except (ValueError, KeyError, TypeError):
            raise NotificationRejected("malformed notification") from None
        if plaintext is None:
            raise NotificationRejected("resource does not decrypt")
        try:
            decrypted = json.loads(plaintext)
        except ValueError:
            raise NotificationRejected("resource is not JSON") from None
        return Notification(
            id=str(envelope.get("id", "")),
            event_type=str(envelope.get("event_type", "")),
            resource=decrypted,
        )

    def _platform_key(self, serial: str):
        """The platform public key named by Wechatpay-Serial, or None when unknown.

        Unknown serials are refused rather than looked up at WeChat: a notification is
        unauthenticated input and must not make us call out. (The SDK refreshes its
        certificate list whenever an API answer carries a new serial.)
        """
        if self._public_key_id and serial == self._public_key_id:
            return self._core._public_key
        try:
            number = int(serial, 16)
        except ValueError:
            return None
        for certificate in self._core._certificates:
            if certificate.serial_number == number:
                return certificate.public_key()
        return None


def _rfc3339(moment: datetime.datetime) -> str:
    return timezone.localtime(moment).isoformat(timespec="seconds")
