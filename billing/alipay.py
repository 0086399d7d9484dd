"""The Alipay client: the only module that talks to Alipay.

It wraps python-alipay-sdk (class AliPay, RSA2, public-key mode): the signed order string for
H5 payment (alipay.trade.wap.pay), query, close, refund and refund query, and the check of
asynchronous notifications. The SDK verifies the RSA2 signature of every synchronous answer
with the Alipay public key. Configuration comes from settings.ALIPAY_*; the gateway URL is
configurable so tests run the real SDK against a local fake gateway.

Amounts are fen (int) in and out; the yuan strings Alipay uses stay inside this module.
"""

from __future__ import annotations

import datetime
import functools
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from alipay import AliPay
from alipay.exceptions import AliPayException, AliPayValidationError
from alipay.utils import AliPayConfig
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.errors import ErrorCode, NotificationRejected
from common.errors import ServiceUnavailable
from common.money import InvalidAmount, fen_to_yuan, yuan_to_fen

logger = logging.getLogger(__name__)

SUCCESS_CODE = "10000"
# Alipay writes times in Beijing time without an offset.
BEIJING = datetime.timezone(datetime.timedelta(hours=8))
# trade_status values that mean the money was received.
PAID_TRADE_STATUSES = frozenset({"TRADE_SUCCESS", "TRADE_FINISHED"})
# Sub-codes that say "try again later" rather than "no".
RETRYABLE_SUB_CODES = frozenset({"ACQ.SYSTEM_ERROR", "aop.ACQ.SYSTEM_ERROR"})


class AlipayUnavailable(ServiceUnavailable):
    """Alipay did not answer usefully (network, service busy, unverifiable answer)."""

    def __init__(self, detail: str = "") -> None:
        super().__init__(
            ErrorCode.ALIPAY_UNAVAILABLE,
            _("Alipay is not available right now, please try again later."),
        )
        self.detail = detail


class AlipayRejected(Exception):
    """Alipay answered with a business error (code 40004 and a sub_code)."""

    def __init__(self, code: str, sub_code: str, message: str) -> None:
        super().__init__(f"{code} {sub_code}: {message}")
        self.code = code
        self.sub_code = sub_code
        self.message = message


@dataclass(frozen=True)
class Trade:
    out_trade_no: str
    trade_status: str
    trade_no: str
    total: int | None  # fen

    @property
    def is_paid(self) -> bool:
        return self.trade_status in PAID_TRADE_STATUSES


@dataclass(frozen=True)
class RefundResult:
    """status: SUCCESS once the money moved back, PROCESSING while Alipay has not said so."""

    out_refund_no: str
    status: str
    refund: int | None  # fen


def is_enabled() -> bool:
    return bool(settings.ALIPAY_APP_ID)


def get_client() -> AlipayClient:
    if not is_enabled():
        raise AlipayUnavailable("Alipay is not configured")
    return _client_for(
        app_id=settings.ALIPAY_APP_ID,
        private_key_path=settings.ALIPAY_PRIVATE_KEY_PATH,
        public_key_path=settings.ALIPAY_PUBLIC_KEY_PATH,
        seller_id=settings.ALIPAY_SELLER_ID,
        notify_url=settings.ALIPAY_NOTIFY_URL,
        return_url=settings.ALIPAY_RETURN_URL,
        gateway_url=settings.ALIPAY_GATEWAY_URL,
        timeout=settings.ALIPAY_TIMEOUT_SECONDS,
    )


@functools.lru_cache(maxsize=4)
def _client_for(**config) -> AlipayClient:
    return AlipayClient(**config)


class _GatewayAliPay(AliPay):
    """AliPay with the gateway from settings.

    The SDK chooses between the production and sandbox gateways from `debug` and keeps the
    choice in `self._gateway`, which every synchronous call reads; it is replaced here.
    """

    def __init__(self, *, gateway_url: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self._gateway = gateway_url


class AlipayClient:
    def __init__(
        self,
        *,
        app_id: str,
        private_key_path: str,
        public_key_path: str,
        seller_id: str,
        notify_url: str,
        gateway_url: str,
        return_url: str = "",
        timeout: int = 10,
    ) -> None:
        self.app_id = app_id
        self.seller_id = seller_id
        self.gateway_url = gateway_url
        self.return_url = return_url
        self._sdk = _GatewayAliPay(
            gateway_url=gateway_url,
            appid=app_id,
            app_notify_url=notify_url,
            app_private_key_string=Path(private_key_path).read_text(),
            alipay_public_key_string=Path(public_key_path).read_text(),
            sign_type="RSA2",
            config=AliPayConfig(timeout=timeout),
        )

    # -- payment -----------------------------------------------------------------------

    def wap_pay(
        self,
        *,
        out_trade_no: str,
        subject: str,
        total: int,
        time_expire: datetime.datetime | None = None,
    ) -> dict[str, str]:
        """The signed order string for H5 payment, and the cashier URL built from it.

        No network call: the patient's browser takes the URL to Alipay.
        """
        extra = {}
        if time_expire is not None:
            extra["time_expire"] = timezone.localtime(time_expire).strftime(
                "%Y-%m-%d %H:%M:%S"
            )
        order_string = self._sdk.api_alipay_trade_wap_pay(
            subject=subject[:256],
            out_trade_no=out_trade_no,
            total_amount=fen_to_yuan(total),
            return_url=self.return_url or None,
            **extra,
        )
        return {
            "order_string": order_string,
            "pay_url": f"{self.gateway_url}?{order_string}",
        }

    def query_trade(self, *, out_trade_no: str) -> Trade | None:
        """The trade at Alipay; None when Alipay has none (the patient never opened it)."""
        try:
            data = self._call(
                self._sdk.api_alipay_trade_query, out_trade_no=out_trade_no
            )
        except AlipayRejected as exc:
            if exc.sub_code == "ACQ.TRADE_NOT_EXIST":
                return None
            raise
        return Trade(
            out_trade_no=str(data.get("out_trade_no", "")),
            trade_status=str(data.get("trade_status", "")),
            trade_no=str(data.get("trade_no", "")),
            total=_fen_or_none(data.get("total_amount")),
        )

    def close_trade(self, *, out_trade_no: str) -> None:
        try:
            self._call(self._sdk.api_alipay_trade_close, out_trade_no=out_trade_no)
        except AlipayRejected as exc:
            if exc.sub_code == "ACQ.TRADE_NOT_EXIST":
                return  # never opened by the patient: nothing to close at Alipay
            raise

    # -- refunds -----------------------------------------------------------------------

    def refund(
        self, *, out_refund_no: str, out_trade_no: str, refund: int, reason: str = ""
    ) -> RefundResult:
        """Refund part or all of a trade. out_request_no makes a retry never refund twice."""
        data = self._call(
            self._sdk.api_alipay_trade_refund,
            refund_amount=fen_to_yuan(refund),
            out_trade_no=out_trade_no,
            out_request_no=out_refund_no,
            refund_reason=reason[:256],
        )
        if data.get("fund_change") == "Y":
            return RefundResult(
                out_refund_no=out_refund_no, status="SUCCESS", refund=refund
            )
        # "N" also answers a repeated request whose money already moved: ask to be sure.
        found = self.query_refund(
            out_refund_no=out_refund_no, out_trade_no=out_trade_no
        )
        return found or RefundResult(
            out_refund_no=out_refund_no, status="PROCESSING", refund=refund
        )

    def query_refund(
        self, *, out_refund_no: str, out_trade_no: str
    ) -> RefundResult | None:
        data = self._call(
            self._sdk.api_alipay_trade_fastpay_refund_query,
            out_request_no=out_refund_no,
            out_trade_no=out_trade_no,
        )
        if not data.get("out_request_no"):
            return None  # Alipay knows no such refund
        # Without query_options Alipay may leave refund_status out; an existing refund
        # request is then a successful one (Alipay refunds synchronously).
        status = data.get("refund_status") or "REFUND_SUCCESS"
        return RefundResult(
            out_refund_no=out_refund_no,
            status="SUCCESS" if status == "REFUND_SUCCESS" else "PROCESSING",
            refund=_fen_or_none(data.get("refund_amount")),
        )

    def _call(self, method, **kwargs) -> dict:
        try:
            data = method(**kwargs)
        except AliPayValidationError as exc:
            logger.error("Alipay answer failed signature verification")
            raise AlipayUnavailable("answer signature invalid") from exc
        except AliPayException as exc:
            # An answer without a signature: Alipay's gateway-level errors.
            raise AlipayUnavailable(str(exc)) from exc
        except (OSError, ValueError) as exc:  # urllib errors, timeouts, broken JSON
            raise AlipayUnavailable(str(exc)) from exc
        code = str(data.get("code", ""))
        if code == SUCCESS_CODE:
            return data
        sub_code = str(data.get("sub_code", ""))
        if code == "20000" or sub_code in RETRYABLE_SUB_CODES:
            raise AlipayUnavailable(f"{code} {sub_code}")
        raise AlipayRejected(
            code, sub_code, str(data.get("sub_msg") or data.get("msg"))
        )

    # -- notifications -----------------------------------------------------------------

    def verify_notification(self, params: Mapping[str, str]) -> dict[str, str]:
        """Check the RSA2 signature of an asynchronous notification; returns its fields.

        Alipay signs every parameter except sign and sign_type, sorted by name, with the
        values URL-decoded (the SDK's verify does exactly that).
        """
        data = {key: str(value) for key, value in params.items()}
        signature = data.pop("sign", "")
        if not signature:
            raise NotificationRejected("missing sign")
        if data.get("sign_type", "RSA2") != "RSA2":
            raise NotificationRejected("unsupported sign_type")
        unsigned = dict(data)
        try:
            valid = self._sdk.verify(unsigned, signature)
        except (AliPayException, ValueError, TypeError):
            valid = False
        if not valid:
            raise NotificationRejected("signature does not verify")
        return data


def _fen_or_none(value: object) -> int | None:
    if not isinstance(value, str):
        return None
    try:
        return parse_yuan(value)
    except InvalidAmount:
        return None


def parse_yuan(value: str) -> int:
    """One of Alipay's yuan strings ("20.00") in fen. Raises InvalidAmount otherwise.

    ASCII digits only: a full-width "２０.００" is not how Alipay writes an amount.
    """
    if not value.isascii():
        raise InvalidAmount(f"not an amount in yuan: {value!r}")
    return yuan_to_fen(value)


def parse_alipay_time(value: str) -> datetime.datetime | None:
    """Alipay's "2015-04-27 15:45:57" (Beijing time) -> aware datetime; None otherwise.

    gmt_refund carries milliseconds ("2015-04-27 15:45:57.320"), also accepted.
    """
    if not isinstance(value, str) or not value.isascii() or len(value) > 32:
        return None
    for layout in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M:%S.%f"):
        try:
            return datetime.datetime.strptime(value, layout).replace(tzinfo=BEIJING)
        except ValueError:
            continue
    return None
