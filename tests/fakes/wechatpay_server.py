"""A local fake of WeChat Pay API v3 for tests: the real wechatpayv3 SDK talks to it over HTTP.

It binds 127.0.0.1 on an ephemeral port and runs in a thread. Like WeChat Pay it CHECKS every
request's Authorization header (WECHATPAY2-SHA256-RSA2048, verified with the merchant public
key the test generated) and SIGNS every answer with the platform key the test generated
(Wechatpay-Timestamp/Nonce/Signature/Serial), so the SDK's own answer verification runs.

It also builds notifications exactly as WeChat Pay sends them: the resource encrypted with
AEAD_AES_256_GCM under the API v3 key, the body signed over "timestamp\\nnonce\\nbody\\n".

    keys = WeChatPayKeys.generate()
    server = FakeWeChatPayServer(keys=keys, mchid="1900000109", appid="wx-test").start()
    ...
    headers, body = server.notification(server.pay("P2024..."))
    server.stop()

Implemented endpoints: JSAPI prepay, query by out_trade_no, close, refund, refund query and
the platform certificate download.
"""

from __future__ import annotations

import base64
import datetime
import json
import re
import secrets
import time
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.x509.oid import NameOID

from tests.fakes.base import FakeServer, Reply, Request
from tests.fakes.keys import generate_rsa_key, rsa_sign, rsa_verifies

CST = datetime.timezone(datetime.timedelta(hours=8))


def aead_encrypt(apiv3_key: str, plaintext: str, *, associated_data: str) -> dict:
    nonce = secrets.token_hex(6)  # WeChat uses 12-character nonces
    sealed = AESGCM(apiv3_key.encode()).encrypt(
        nonce.encode(), plaintext.encode(), associated_data.encode()
    )
    return {
        "algorithm": "AEAD_AES_256_GCM",
        "nonce": nonce,
        "associated_data": associated_data,
        "ciphertext": base64.b64encode(sealed).decode(),
    }


def self_signed_certificate(key: rsa.RSAPrivateKey, serial_number: int) -> str:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Tenpay.com Root CA")])
    # Valid for years either side of its making: the keys are made once per test session,
    # and tests run under --clock (see tests/conftest.py) may be far from that moment.
    now = datetime.datetime.now(datetime.UTC)
    years = datetime.timedelta(days=10 * 365)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(serial_number)
        .not_valid_before(now - years)
        .not_valid_after(now + years)
        .sign(key, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


@dataclass
class WeChatPayKeys:
    """Everything a test needs: the merchant's key pair, the platform's, the API v3 key."""

    merchant_key: rsa.RSAPrivateKey
    merchant_serial: str
    platform_key: rsa.RSAPrivateKey
    platform_public_key_id: str
    platform_cert_serial: int
    platform_cert_pem: str
    apiv3_key: str

    @classmethod
    def generate(cls) -> WeChatPayKeys:
        platform_key = generate_rsa_key()
        cert_serial = secrets.randbits(120) | (1 << 119)
        return cls(
            merchant_key=generate_rsa_key(),
            merchant_serial=secrets.token_hex(20).upper(),
            platform_key=platform_key,
            platform_public_key_id="PUB_KEY_ID_" + secrets.token_hex(16).upper(),
            platform_cert_serial=cert_serial,
            platform_cert_pem=self_signed_certificate(platform_key, cert_serial),
            apiv3_key=secrets.token_hex(16),  # 32 characters
        )

    @property
    def platform_cert_serial_hex(self) -> str:
        return format(self.platform_cert_serial, "X")


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    authorized: bool


_AUTH = re.compile(r'(\w+)="([^"]*)"')


@dataclass(eq=False)
class FakeWeChatPayServer(FakeServer):
    keys: WeChatPayKeys
    mchid: str = "1900000109"
    appid: str = "wx-test-app"
    # "public_key": answers carry the public key ID as Wechatpay-Serial; "certificate": the
    # platform certificate's serial number.
    serial_mode: str = "public_key"
    # Status given to new refunds (SUCCESS, PROCESSING, ABNORMAL, CLOSED).
    refund_status: str = "SUCCESS"
    requests: list[RecordedRequest] = field(default_factory=list)
    trades: dict[str, dict] = field(default_factory=dict)
    refunds: dict[str, dict] = field(default_factory=dict)
    # Answers to give instead of the next requests: (status, body), consumed in order.
    scripted_failures: list[tuple[int, dict]] = field(default_factory=list)
    # Sign answers with a wrong key (the SDK must then refuse them).
    forge_answers: bool = False

    @property
    def base_url(self) -> str:
        """The origin to put in settings.WECHATPAY_API_BASE_URL (no trailing slash)."""
        return self.origin

    @property
    def serial(self) -> str:
        if self.serial_mode == "public_key":
            return self.keys.platform_public_key_id
        return self.keys.platform_cert_serial_hex

    # -- what tests do -----------------------------------------------------------------

    def requests_to(self, method: str, path_prefix: str) -> list[RecordedRequest]:
        with self._lock:
            return [
                r
                for r in self.requests
                if r.method == method and r.path.startswith(path_prefix)
            ]

    def pay(self, out_trade_no: str, *, total: int | None = None) -> dict:
        """The patient pays: the trade becomes SUCCESS. Returns the notification resource.

        A trade unknown to the server (prepay made elsewhere) is created with `total`.
        """
        with self._lock:
            trade = self.trades.get(out_trade_no)
            if trade is None:
                trade = self.trades[out_trade_no] = {
                    "out_trade_no": out_trade_no,
                    "total": total,
                    "openid": "o-payer",
                    "trade_state": "NOTPAY",
                }
            if trade["trade_state"] != "SUCCESS":
                # A Native trade learns its payer when someone scans and pays.
                trade["openid"] = trade["openid"] or "o-payer"
                trade["trade_state"] = "SUCCESS"
                trade["transaction_id"] = "42000" + secrets.token_hex(11)
                trade["success_time"] = _now_rfc3339()
            return self._transaction(trade)

    def notification(
        self,
        resource: dict,
        *,
        event_type: str = "TRANSACTION.SUCCESS",
        original_type: str = "transaction",
        timestamp: int | None = None,
        serial: str | None = None,
        signature: str | None = None,
        tamper=None,
    ) -> tuple[dict[str, str], bytes]:
        """Headers and body of a notification as WeChat Pay sends it.

        `tamper(body) -> body` changes the body after signing (to test verification).
        """
        envelope = {
            "id": secrets.token_hex(16),
            "create_time": _now_rfc3339(),
            "resource_type": "encrypt-resource",
            "event_type": event_type,
            "summary": "支付成功"
            if event_type == "TRANSACTION.SUCCESS"
            else "退款状态",
            "resource": {
                **aead_encrypt(
                    self.keys.apiv3_key,
                    json.dumps(resource, ensure_ascii=False),
                    associated_data=original_type,
                ),
                "original_type": original_type,
            },
        }
        body = json.dumps(envelope, ensure_ascii=False).encode()
        headers = self._signature_headers(body, timestamp=timestamp)
        if serial is not None:
            headers["Wechatpay-Serial"] = serial
        if signature is not None:
            headers["Wechatpay-Signature"] = signature
        if tamper is not None:
            body = tamper(body)
        return headers, body

    def refund_resource(self, out_refund_no: str) -> dict:
        with self._lock:
            return self._refund(self.refunds[out_refund_no])

    def certificates_answer(self) -> dict:
        effective = datetime.datetime.now(CST) - datetime.timedelta(days=1)
        return {
            "data": [
                {
                    "serial_no": self.keys.platform_cert_serial_hex,
                    "effective_time": effective.isoformat(timespec="seconds"),
                    "expire_time": (effective + datetime.timedelta(days=365)).isoformat(
                        timespec="seconds"
                    ),
                    "encrypt_certificate": aead_encrypt(
                        self.keys.apiv3_key,
                        self.keys.platform_cert_pem,
                        associated_data="certificate",
                    ),
                }
            ]
        }

    # -- used by the handler -----------------------------------------------------------

    def _signature_headers(
        self, body: bytes, *, timestamp: int | None = None
    ) -> dict[str, str]:
        stamp = str(int(time.time()) if timestamp is None else timestamp)
        nonce = secrets.token_hex(16)
        key = generate_rsa_key() if self.forge_answers else self.keys.platform_key
        signature = rsa_sign(key, f"{stamp}\n{nonce}\n{body.decode()}\n")
        return {
            "Wechatpay-Timestamp": stamp,
            "Wechatpay-Nonce": nonce,
            "Wechatpay-Signature": signature,
            "Wechatpay-Serial": self.serial,
            "Wechatpay-Signature-Type": "WECHATPAY2-SHA256-RSA2048",
        }

    def _check_authorization(self, request: Request) -> str | None:
        """None when the request is signed by the merchant, else the reason."""
        value = request.headers.get("Authorization", "")
        scheme, _, params = value.partition(" ")
        if scheme != "WECHATPAY2-SHA256-RSA2048":
            return "wrong authorization scheme"
        fields = dict(_AUTH.findall(params))
        if fields.get("mchid") != self.mchid:
            return "wrong mchid"
        if fields.get("serial_no") != self.keys.merchant_serial:
            return "wrong merchant serial"
        try:
            stamp = int(fields.get("timestamp", ""))
        except ValueError:
            return "bad timestamp"
        if abs(time.time() - stamp) > 300:
            return "timestamp expired"
        nonce = fields.get("nonce_str", "")
        message = (
            f"{request.method}\n{request.target}\n{stamp}\n{nonce}\n"
            f"{request.body.decode()}\n"
        )
        if not rsa_verifies(
            self.keys.merchant_key, message, fields.get("signature", "")
        ):
            return "signature does not verify"
        return None

    def _transaction(self, trade: dict) -> dict:
        resource = {
            "appid": self.appid,
            "mchid": self.mchid,
            "out_trade_no": trade["out_trade_no"],
            "trade_type": "NATIVE" if "code_url" in trade else "JSAPI",
            "trade_state": trade["trade_state"],
            "trade_state_desc": trade["trade_state"],
            "payer": {"openid": trade["openid"]},
            "amount": {
                "total": trade["total"],
                "payer_total": trade["total"],
                "currency": "CNY",
                "payer_currency": "CNY",
            },
        }
        if trade.get("transaction_id"):
            resource["transaction_id"] = trade["transaction_id"]
            resource["success_time"] = trade["success_time"]
            resource["bank_type"] = "OTHERS"
        return resource

    def _refund(self, refund: dict) -> dict:
        resource = {
            "mchid": self.mchid,
            "refund_id": refund["refund_id"],
            "out_refund_no": refund["out_refund_no"],
            "transaction_id": refund["transaction_id"],
            "out_trade_no": refund["out_trade_no"],
            "channel": "ORIGINAL",
            "user_received_account": "支付用户零钱",
            "status": refund["status"],
            "create_time": refund["create_time"],
            "amount": {
                "total": refund["total"],
                "refund": refund["refund"],
                "payer_total": refund["total"],
                "payer_refund": refund["refund"],
                "currency": "CNY",
            },
        }
        if refund["status"] == "SUCCESS":
            resource["success_time"] = refund["create_time"]
        return resource

    def handle(self, request: Request) -> Reply:
        problem = self._check_authorization(request)
        with self._lock:
            self.requests.append(
                RecordedRequest(
                    request.method,
                    request.target,
                    dict(request.headers),
                    request.body,
                    problem is None,
                )
            )
            if problem is not None:
                return Reply(401, {"code": "SIGN_ERROR", "message": problem})
            if self.scripted_failures:
                return Reply(*self.scripted_failures.pop(0))
            return Reply(*self._route(request.method, request.path, request.json()))

    def reply_headers(self, raw: bytes) -> dict[str, str]:
        """Every answer is signed with the platform key, as WeChat Pay does."""
        return {**self._signature_headers(raw), "Request-ID": secrets.token_hex(8)}

    def _route(self, method: str, path: str, data: dict):
        if method == "POST" and path == "/v3/pay/transactions/jsapi":
            return self._prepay(data)
        if method == "POST" and path == "/v3/pay/transactions/native":
            return self._native_prepay(data)
        if method == "GET" and path == "/v3/certificates":
            return 200, self.certificates_answer()
        match = re.fullmatch(r"/v3/pay/transactions/out-trade-no/([^/]+)", path)
        if method == "GET" and match:
            trade = self.trades.get(match.group(1))
            if trade is None:
                return 404, {"code": "ORDER_NOT_EXIST", "message": "订单不存在"}
            return 200, self._transaction(trade)
        match = re.fullmatch(r"/v3/pay/transactions/out-trade-no/([^/]+)/close", path)
        if method == "POST" and match:
            trade = self.trades.get(match.group(1))
            if data.get("mchid") != self.mchid:
                return 400, {"code": "PARAM_ERROR", "message": "mchid"}
            if trade is None:
                return 404, {"code": "ORDER_NOT_EXIST", "message": "订单不存在"}
            if trade["trade_state"] == "SUCCESS":
                return 400, {"code": "ORDERPAID", "message": "订单已支付"}
            trade["trade_state"] = "CLOSED"
            return 204, b""
        if method == "POST" and path == "/v3/refund/domestic/refunds":
            return self._create_refund(data)
        match = re.fullmatch(r"/v3/refund/domestic/refunds/([^/]+)", path)
        if method == "GET" and match:
            refund = self.refunds.get(match.group(1))
            if refund is None:
                return 404, {"code": "RESOURCE_NOT_EXISTS", "message": "退款单不存在"}
            return 200, self._refund(refund)
        return 404, {"code": "NOT_FOUND", "message": "no such endpoint"}

    def _prepay(self, data: dict):
        if data.get("mchid") != self.mchid or data.get("appid") != self.appid:
            return 400, {"code": "PARAM_ERROR", "message": "mchid/appid"}
        total = (data.get("amount") or {}).get("total")
        openid = (data.get("payer") or {}).get("openid")
        if not data.get("notify_url") or not isinstance(total, int) or total < 1:
            return 400, {"code": "PARAM_ERROR", "message": "notify_url/amount"}
        if not openid or not data.get("description"):
            return 400, {"code": "PARAM_ERROR", "message": "payer/description"}
        out_trade_no = data["out_trade_no"]
        trade = self.trades.get(out_trade_no)
        if trade is not None and trade["total"] != total:
            return 400, {"code": "INVALID_REQUEST", "message": "参数与首次请求时不一致"}
        if trade is not None and trade["trade_state"] == "SUCCESS":
            return 400, {"code": "ORDERPAID", "message": "订单已支付"}
        if trade is None:
            trade = self.trades[out_trade_no] = {
                "out_trade_no": out_trade_no,
                "total": total,
                "openid": openid,
                "trade_state": "NOTPAY",
                "prepay_id": "wx" + secrets.token_hex(16),
                "time_expire": data.get("time_expire"),
                "notify_url": data["notify_url"],
            }
        return 200, {"prepay_id": trade["prepay_id"]}

    def _native_prepay(self, data: dict):
        """Native下单: no payer; the answer is the code_url the payer scans."""
        if data.get("mchid") != self.mchid or data.get("appid") != self.appid:
            return 400, {"code": "PARAM_ERROR", "message": "mchid/appid"}
        total = (data.get("amount") or {}).get("total")
        if not data.get("notify_url") or not isinstance(total, int) or total < 1:
            return 400, {"code": "PARAM_ERROR", "message": "notify_url/amount"}
        if "payer" in data or not data.get("description"):
            return 400, {"code": "PARAM_ERROR", "message": "payer/description"}
        out_trade_no = data["out_trade_no"]
        trade = self.trades.get(out_trade_no)
        if trade is not None and (trade["total"] != total or "code_url" not in trade):
            return 400, {"code": "INVALID_REQUEST", "message": "参数与首次请求时不一致"}
        if trade is not None and trade["trade_state"] == "SUCCESS":
            return 400, {"code": "ORDERPAID", "message": "订单已支付"}
        if trade is None:
            trade = self.trades[out_trade_no] = {
                "out_trade_no": out_trade_no,
                "total": total,
                "openid": "",
                "trade_state": "NOTPAY",
                "code_url": "weixin://wxpay/bizpayurl?pr=" + secrets.token_hex(4),
                "time_expire": data.get("time_expire"),
                "notify_url": data["notify_url"],
            }
        return 200, {"code_url": trade["code_url"]}

    def _create_refund(self, data: dict):
        out_refund_no = data.get("out_refund_no")
        existing = self.refunds.get(out_refund_no)
        if existing is not None:
            return 200, self._refund(existing)
        trade = self.trades.get(data.get("out_trade_no", ""))
        if trade is None or trade["trade_state"] not in ("SUCCESS", "REFUND"):
            return 404, {"code": "RESOURCE_NOT_EXISTS", "message": "订单不存在"}
        amount = data.get("amount") or {}
        already = sum(
            r["refund"]
            for r in self.refunds.values()
            if r["out_trade_no"] == trade["out_trade_no"]
            and r["status"] in ("SUCCESS", "PROCESSING")
        )
        if amount.get("total") != trade["total"] or amount.get("currency") != "CNY":
            return 400, {"code": "PARAM_ERROR", "message": "订单金额或币种不一致"}
        if not isinstance(amount.get("refund"), int) or amount["refund"] < 1:
            return 400, {"code": "PARAM_ERROR", "message": "退款金额"}
        if already + amount["refund"] > trade["total"]:
            return 400, {"code": "INVALID_REQUEST", "message": "退款金额超过可退金额"}
        refund = self.refunds[out_refund_no] = {
            "out_refund_no": out_refund_no,
            "refund_id": "50300" + secrets.token_hex(11),
            "transaction_id": trade["transaction_id"],
            "out_trade_no": trade["out_trade_no"],
            "status": self.refund_status,
            "create_time": _now_rfc3339(),
            "total": trade["total"],
            "refund": amount["refund"],
            "notify_url": data.get("notify_url"),
        }
        trade["trade_state"] = "REFUND"
        return 200, self._refund(refund)


def _now_rfc3339() -> str:
    return datetime.datetime.now(CST).isoformat(timespec="seconds")
