"""A local fake of the Alipay open-API gateway for tests: the real python-alipay-sdk talks to it.

It binds 127.0.0.1 on an ephemeral port and runs in a thread. Like Alipay it CHECKS the RSA2
signature of every request (with the app public key the test generated) and answers JSON
signed with the "Alipay" key pair the test generated, so the SDK's answer verification runs.
It also signs asynchronous notifications the way Alipay does.

    keys = AlipayKeys.generate()
    server = FakeAlipayServer(keys=keys, app_id="2021000000000001", seller_id="2088...").start()
    params = server.notification(server.pay("P2024...", total_amount="20.00"))

Implemented methods: alipay.trade.query, alipay.trade.close, alipay.trade.refund and
alipay.trade.fastpay.refund.query (GET /gateway.do, as the SDK calls them).
"""

from __future__ import annotations

import datetime
import json
import secrets
from dataclasses import dataclass, field
from decimal import Decimal

from cryptography.hazmat.primitives.asymmetric import rsa

from tests.fakes.base import FakeServer, Reply, Request
from tests.fakes.keys import (
    generate_rsa_key,
    private_pem,
    public_pem,
    rsa_sign,
    rsa_verifies,
)

CST = datetime.timezone(datetime.timedelta(hours=8))


def unsigned_string(params: dict[str, str], *, drop: tuple[str, ...]) -> str:
    return "&".join(
        f"{key}={value}" for key, value in sorted(params.items()) if key not in drop
    )


@dataclass
class AlipayKeys:
    app_key: rsa.RSAPrivateKey  # ours: signs requests
    alipay_key: rsa.RSAPrivateKey  # Alipay's: signs answers and notifications

    @classmethod
    def generate(cls) -> AlipayKeys:
        return cls(app_key=generate_rsa_key(), alipay_key=generate_rsa_key())

    @property
    def app_private_pem(self) -> str:
        return private_pem(self.app_key)

    @property
    def alipay_public_pem(self) -> str:
        return public_pem(self.alipay_key)


@dataclass
class RecordedRequest:
    method: str  # the Alipay API method, e.g. alipay.trade.query
    params: dict[str, str]
    biz_content: dict
    authorized: bool


@dataclass(eq=False)
class FakeAlipayServer(FakeServer):
    keys: AlipayKeys
    app_id: str = "2021000000000001"
    seller_id: str = "2088000000000001"
    requests: list[RecordedRequest] = field(default_factory=list)
    trades: dict[str, dict] = field(default_factory=dict)
    # Answers to give instead of the next requests: (response dict), consumed in order.
    scripted_answers: list[dict] = field(default_factory=list)

    content_type = "text/html;charset=utf-8"
    url_path = "/gateway.do"

    @property
    def gateway_url(self) -> str:
        return self.url

    # -- what tests do -----------------------------------------------------------------

    def requests_for(self, method: str) -> list[RecordedRequest]:
        with self._lock:
            return [r for r in self.requests if r.method == method]

    def open_trade(self, out_trade_no: str, *, total_amount: str) -> None:
        """The patient opened the cashier but has not paid (WAIT_BUYER_PAY)."""
        with self._lock:
            self.trades.setdefault(
                out_trade_no,
                {
                    "out_trade_no": out_trade_no,
                    "total_amount": total_amount,
                    "trade_status": "WAIT_BUYER_PAY",
                    "trade_no": "2024" + secrets.token_hex(12),
                    "refunds": {},
                },
            )

    def pay(self, out_trade_no: str, *, total_amount: str) -> dict[str, str]:
        """The patient pays. Returns the notification's parameters (unsigned)."""
        self.open_trade(out_trade_no, total_amount=total_amount)
        with self._lock:
            trade = self.trades[out_trade_no]
            trade["trade_status"] = "TRADE_SUCCESS"
            trade["gmt_payment"] = _now()
            return {
                "notify_time": _now(),
                "notify_type": "trade_status_sync",
                "notify_id": secrets.token_hex(16),
                "app_id": self.app_id,
                "charset": "utf-8",
                "version": "1.0",
                "trade_no": trade["trade_no"],
                "out_trade_no": out_trade_no,
                "buyer_id": "2088102122524333",
                "seller_id": self.seller_id,
                "trade_status": "TRADE_SUCCESS",
                "total_amount": trade["total_amount"],
                "receipt_amount": trade["total_amount"],
                "buyer_pay_amount": trade["total_amount"],
                "subject": "挂号费",
                "gmt_create": trade["gmt_payment"],
                "gmt_payment": trade["gmt_payment"],
            }

    def notification(
        self, params: dict[str, str], *, key: rsa.RSAPrivateKey | None = None
    ) -> dict[str, str]:
        """Sign notification parameters as Alipay does (all but sign and sign_type)."""
        signed = {**params, "sign_type": "RSA2"}
        signed["sign"] = rsa_sign(
            key or self.keys.alipay_key,
            unsigned_string(signed, drop=("sign", "sign_type")),
        )
        return signed

    # -- used by the handler -----------------------------------------------------------

    def handle(self, request: Request) -> Reply:
        if request.method != "GET":
            return Reply(405, b"")
        return Reply(200, self._call(request.query).encode())

    def _call(self, query: dict[str, str]) -> str:
        """Answer one API call (the SDK puts everything in the query string)."""
        method = query.get("method", "")
        try:
            biz = json.loads(query.get("biz_content") or "{}")
        except ValueError:
            biz = {}
        authorized = self._verify_request(query)
        with self._lock:
            self.requests.append(RecordedRequest(method, query, biz, authorized))
            if not authorized:
                return json.dumps(
                    {
                        "error_response": {
                            "code": "40002",
                            "msg": "Invalid Arguments",
                            "sub_code": "isv.invalid-signature",
                            "sub_msg": "验签出错",
                        }
                    }
                )
            if self.scripted_answers:
                answer = self.scripted_answers.pop(0)
            else:
                answer = self._answer(method, biz)
        return self._signed(method, answer)

    def _verify_request(self, query: dict[str, str]) -> bool:
        if query.get("app_id") != self.app_id or query.get("sign_type") != "RSA2":
            return False
        return rsa_verifies(
            self.keys.app_key,
            unsigned_string(query, drop=("sign",)),
            query.get("sign", ""),
        )

    def _signed(self, method: str, answer: dict) -> str:
        response_type = method.replace(".", "_") + "_response"
        inner = json.dumps(answer, ensure_ascii=False, separators=(",", ":"))
        sign = rsa_sign(self.keys.alipay_key, inner)
        return f'{{"{response_type}":{inner},"sign":"{sign}"}}'

    def _answer(self, method: str, biz: dict) -> dict:
        trade = self.trades.get(biz.get("out_trade_no", ""))
        if method == "alipay.trade.query":
            if trade is None:
                return _failed("ACQ.TRADE_NOT_EXIST", "交易不存在")
            answer = {
                "code": "10000",
                "msg": "Success",
                "out_trade_no": trade["out_trade_no"],
                "trade_no": trade["trade_no"],
                "trade_status": trade["trade_status"],
                "total_amount": trade["total_amount"],
            }
            if trade.get("gmt_payment"):
                answer["send_pay_date"] = trade["gmt_payment"]
            return answer
        if method == "alipay.trade.close":
            if trade is None:
                return _failed("ACQ.TRADE_NOT_EXIST", "交易不存在")
            if trade["trade_status"] != "WAIT_BUYER_PAY":
                return _failed("ACQ.TRADE_STATUS_ERROR", "交易状态不合法")
            trade["trade_status"] = "TRADE_CLOSED"
            return {
                "code": "10000",
                "msg": "Success",
                "out_trade_no": trade["out_trade_no"],
                "trade_no": trade["trade_no"],
            }
        if method == "alipay.trade.refund":
            return self._refund(trade, biz)
        if method == "alipay.trade.fastpay.refund.query":
            if trade is None:
                return _failed("ACQ.TRADE_NOT_EXIST", "交易不存在")
            amount = trade["refunds"].get(biz.get("out_request_no"))
            if amount is None:
                return {"code": "10000", "msg": "Success"}
            return {
                "code": "10000",
                "msg": "Success",
                "out_trade_no": trade["out_trade_no"],
                "trade_no": trade["trade_no"],
                "out_request_no": biz["out_request_no"],
                "total_amount": trade["total_amount"],
                "refund_amount": amount,
                "refund_status": "REFUND_SUCCESS",
            }
        return {"code": "40004", "msg": "Business Failed", "sub_code": "unknown"}

    def _refund(self, trade: dict | None, biz: dict) -> dict:
        if trade is None or trade["trade_status"] not in (
            "TRADE_SUCCESS",
            "TRADE_CLOSED",
        ):
            return _failed("ACQ.TRADE_NOT_EXIST", "交易不存在")
        request_no = biz.get("out_request_no", "")
        amount = biz.get("refund_amount", "")
        base = {
            "code": "10000",
            "msg": "Success",
            "out_trade_no": trade["out_trade_no"],
            "trade_no": trade["trade_no"],
            "buyer_logon_id": "159****5620",
        }
        if request_no in trade["refunds"]:
            refunded = sum(Decimal(v) for v in trade["refunds"].values())
            return {**base, "fund_change": "N", "refund_fee": f"{refunded:.2f}"}
        refunded = sum(Decimal(v) for v in trade["refunds"].values())
        if refunded + Decimal(amount) > Decimal(trade["total_amount"]):
            return _failed("ACQ.REFUND_AMT_NOT_EQUAL_TOTAL", "退款金额超限")
        trade["refunds"][request_no] = amount
        if refunded + Decimal(amount) == Decimal(trade["total_amount"]):
            trade["trade_status"] = "TRADE_CLOSED"
        return {
            **base,
            "fund_change": "Y",
            "refund_fee": f"{refunded + Decimal(amount):.2f}",
            "gmt_refund_pay": _now(),
        }


def _failed(sub_code: str, sub_msg: str) -> dict:
    return {
        "code": "40004",
        "msg": "Business Failed",
        "sub_code": sub_code,
        "sub_msg": sub_msg,
    }


def _now() -> str:
    return datetime.datetime.now(CST).strftime("%Y-%m-%d %H:%M:%S")


__all__ = ["AlipayKeys", "FakeAlipayServer"]
