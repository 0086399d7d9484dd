"""The WeChat Pay client against the fake gateway: the real SDK signs, the fake verifies."""

import base64
import datetime
import json
import time

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from django.utils import timezone

from billing.wechatpay import (
    NotificationRejected,
    WeChatPayRejected,
    WeChatPayUnavailable,
    get_client,
)
from tests.billing.conftest import WECHATPAY_APPID, WECHATPAY_MCHID


@pytest.mark.clock
def test_prepay_sends_a_merchant_signed_request_and_returns_the_prepay_id(wechatpay):
    # given
    client = get_client()
    expires = timezone.now() + datetime.timedelta(minutes=15)

    # when
    prepay_id = client.jsapi_prepay(
        out_trade_no="P20240101000000AAAA",
        description="挂号费 张医生",
        total=2000,
        openid="o-patient-1",
        time_expire=expires,
    )

    # then
    [request] = wechatpay.requests_to("POST", "/v3/pay/transactions/jsapi")
    assert request.authorized is True
    assert request.headers["Authorization"].startswith(
        f'WECHATPAY2-SHA256-RSA2048 mchid="{WECHATPAY_MCHID}"'
    )
    sent = json.loads(request.body)
    assert sent == {
        "notify_url": "https://pay.example.test/api/v1/billing/notify/wechat/",
        "description": "挂号费 张医生",
        "out_trade_no": "P20240101000000AAAA",
        "amount": {"total": 2000, "currency": "CNY"},
        "payer": {"openid": "o-patient-1"},
        "time_expire": timezone.localtime(expires).isoformat(timespec="seconds"),
        "appid": WECHATPAY_APPID,
        "mchid": WECHATPAY_MCHID,
    }
    assert sent["time_expire"].endswith("+08:00")
    assert prepay_id == wechatpay.trades["P20240101000000AAAA"]["prepay_id"]


def test_pay_params_are_signed_with_the_merchant_key_for_wx_request_payment(
    wechatpay, wechatpay_keys
):
    # given
    client = get_client()

    # when
    params = client.jsapi_pay_params(prepay_id="wx201410272009395522657a690389285100")

    # then
    assert set(params) == {"timeStamp", "nonceStr", "package", "signType", "paySign"}
    assert params["package"] == "prepay_id=wx201410272009395522657a690389285100"
    assert params["signType"] == "RSA"
    assert abs(int(params["timeStamp"]) - time.time()) < 5
    message = f"{WECHATPAY_APPID}\n{params['timeStamp']}\n{params['nonceStr']}\n{params['package']}\n"
    wechatpay_keys.merchant_key.public_key().verify(
        base64.b64decode(params["paySign"]),
        message.encode(),
        padding.PKCS1v15(),
        hashes.SHA256(),
    )  # raises InvalidSignature if wrong


def test_a_request_signed_with_another_merchant_key_is_refused_by_the_gateway(
    wechatpay, settings, tmp_path
):
    # given: a client whose private key does not match the registered certificate
    from tests.fakes.keys import generate_rsa_key, private_pem

    other = tmp_path / "other.pem"
    other.write_text(private_pem(generate_rsa_key()))
    settings.WECHATPAY_PRIVATE_KEY_PATH = str(other)

    # when / then
    with pytest.raises(WeChatPayRejected) as excinfo:
        get_client().query_trade(out_trade_no="P1")
    assert excinfo.value.status == 401
    assert excinfo.value.code == "SIGN_ERROR"


def test_query_reports_paid_and_missing_trades(wechatpay):
    # given
    client = get_client()
    client.jsapi_prepay(out_trade_no="P-PAID", description="d", total=1500, openid="o")
    wechatpay.pay("P-PAID")

    # when
    paid = client.query_trade(out_trade_no="P-PAID")
    missing = client.query_trade(out_trade_no="P-NEVER")

    # then
    assert missing is None
    assert paid.is_paid is True
    assert paid.total == 1500
    assert paid.transaction_id == wechatpay.trades["P-PAID"]["transaction_id"]
    assert paid.mchid == WECHATPAY_MCHID
    assert paid.appid == WECHATPAY_APPID


def test_an_answer_not_signed_by_the_platform_is_refused(wechatpay):
    # given: a 200 answer signed with a key that is not the platform's
    client = get_client()
    client.jsapi_prepay(out_trade_no="P-F", description="d", total=900, openid="o")
    wechatpay.pay("P-F")
    wechatpay.forge_answers = True

    # when / then
    with pytest.raises(WeChatPayUnavailable) as excinfo:
        client.query_trade(out_trade_no="P-F")
    assert excinfo.value.detail == "answer signature invalid"


def test_close_refund_and_refund_query_round_trip(wechatpay):
    # given
    client = get_client()
    client.jsapi_prepay(out_trade_no="P-OPEN", description="d", total=900, openid="o")
    client.jsapi_prepay(out_trade_no="P-R", description="d", total=2000, openid="o")
    wechatpay.pay("P-R")

    # when
    client.close_trade(out_trade_no="P-OPEN")
    refund = client.refund(
        out_refund_no="P-R-cancel", out_trade_no="P-R", refund=2000, total=2000
    )
    again = client.refund(
        out_refund_no="P-R-cancel", out_trade_no="P-R", refund=2000, total=2000
    )
    queried = client.query_refund(out_refund_no="P-R-cancel")

    # then
    assert wechatpay.trades["P-OPEN"]["trade_state"] == "CLOSED"
    assert refund.status == "SUCCESS"
    assert refund.refund == 2000
    assert again.refund_id == refund.refund_id
    assert queried.refund_id == refund.refund_id
    assert client.query_refund(out_refund_no="nope") is None
    [request] = wechatpay.requests_to("POST", "/v3/refund/domestic/refunds")[:1]
    assert json.loads(request.body)["notify_url"] == (
        "https://pay.example.test/api/v1/billing/notify/wechat/refund/"
    )


def test_closing_a_paid_trade_is_rejected(wechatpay):
    # given
    client = get_client()
    client.jsapi_prepay(out_trade_no="P-X", description="d", total=900, openid="o")
    wechatpay.pay("P-X")

    # when / then
    with pytest.raises(WeChatPayRejected) as excinfo:
        client.close_trade(out_trade_no="P-X")
    assert excinfo.value.code == "ORDERPAID"


def test_a_server_error_is_reported_as_unavailable(wechatpay):
    # given
    wechatpay.scripted_failures.append(
        (500, {"code": "SYSTEM_ERROR", "message": "系统错误"})
    )

    # when / then
    with pytest.raises(WeChatPayUnavailable):
        get_client().query_trade(out_trade_no="P-ANY")


def test_an_unreachable_gateway_is_reported_as_unavailable(wechatpay, settings):
    # given
    settings.WECHATPAY_API_BASE_URL = "http://127.0.0.1:9"

    # when / then
    with pytest.raises(WeChatPayUnavailable):
        get_client().query_trade(out_trade_no="P-ANY")


# -- notifications ---------------------------------------------------------------------


def _resource(out_trade_no: str = "P-N", total: int = 2000) -> dict:
    return {
        "appid": WECHATPAY_APPID,
        "mchid": WECHATPAY_MCHID,
        "out_trade_no": out_trade_no,
        "transaction_id": "4200000000000000000000000001",
        "trade_state": "SUCCESS",
        "success_time": "2024-05-01T10:00:00+08:00",
        "amount": {"total": total, "payer_total": total, "currency": "CNY"},
    }


def test_a_signed_notification_is_verified_and_decrypted(wechatpay):
    # given
    headers, body = wechatpay.notification(_resource())

    # when
    notification = get_client().parse_notification(headers=headers, body=body)

    # then
    assert notification.event_type == "TRANSACTION.SUCCESS"
    assert notification.resource == _resource()


def test_a_notification_signed_with_the_platform_certificate_is_verified(
    wechatpay_cert_mode,
):
    # given
    headers, body = wechatpay_cert_mode.notification(_resource())

    # when
    notification = get_client().parse_notification(headers=headers, body=body)

    # then
    assert (
        headers["Wechatpay-Serial"] == wechatpay_cert_mode.keys.platform_cert_serial_hex
    )
    assert notification.resource["out_trade_no"] == "P-N"


def _flip_one_byte(body: bytes) -> bytes:
    index = body.index(b'"ciphertext"') + 20
    return body[:index] + bytes([body[index] ^ 0x01]) + body[index + 1 :]


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (
            {"tamper": _flip_one_byte},
            "signature does not verify",
        ),
        (
            {"signature": base64.b64encode(b"x" * 256).decode()},
            "signature does not verify",
        ),
        ({"serial": "PUB_KEY_ID_0000UNKNOWN"}, "unknown Wechatpay-Serial"),
        (
            {"serial": "5157F09EFDC096DE15EBE81A47057A7232F1B8E1"},
            "unknown Wechatpay-Serial",
        ),
        ({"timestamp_offset": -301}, "timestamp outside 5 minutes"),
        ({"timestamp_offset": 305}, "timestamp outside 5 minutes"),
        (
            {"signature": "WECHATPAY/SIGNTEST/" + base64.b64encode(b"x" * 32).decode()},
            "probe signature",
        ),
    ],
    ids=[
        "one-byte-changed",
        "wrong-signature",
        "unknown-public-key-id",
        "unknown-certificate-serial",
        "301-seconds-old",
        "305-seconds-ahead",
        "probe-signature",
    ],
)
def test_a_notification_failing_verification_is_rejected(wechatpay, change, reason):
    # given
    change = dict(change)
    if "timestamp_offset" in change:
        change["timestamp"] = int(time.time()) + change.pop("timestamp_offset")
    headers, body = wechatpay.notification(_resource(), **change)

    # when / then
    with pytest.raises(NotificationRejected) as excinfo:
        get_client().parse_notification(headers=headers, body=body)
    assert excinfo.value.reason == reason
    assert excinfo.value.status == 401


def test_a_notification_encrypted_with_another_apiv3_key_is_rejected(wechatpay):
    # given: correctly signed, but the resource was sealed with a different key
    real_key = wechatpay.keys.apiv3_key
    wechatpay.keys.apiv3_key = "0" * 32
    try:
        headers, body = wechatpay.notification(_resource())
    finally:
        wechatpay.keys.apiv3_key = real_key

    # when / then
    with pytest.raises(NotificationRejected) as excinfo:
        get_client().parse_notification(headers=headers, body=body)
    assert excinfo.value.reason == "resource does not decrypt"


def test_a_notification_without_signature_headers_is_rejected(wechatpay):
    # given
    _, body = wechatpay.notification(_resource())

    # when / then
    with pytest.raises(NotificationRejected) as excinfo:
        get_client().parse_notification(headers={}, body=body)
    assert excinfo.value.reason == "missing signature headers"


def test_certificate_mode_downloads_platform_certificates_from_the_configured_gateway(
    wechatpay_cert_mode, settings, tmp_path
):
    # given: an empty certificate directory, so the SDK must download at construction
    settings.WECHATPAY_PLATFORM_CERT_DIR = str(tmp_path / "certs")

    # when
    client = get_client()
    headers, body = wechatpay_cert_mode.notification(_resource())
    notification = client.parse_notification(headers=headers, body=body)

    # then
    [download] = wechatpay_cert_mode.requests_to("GET", "/v3/certificates")
    assert download.authorized is True
    serial = wechatpay_cert_mode.keys.platform_cert_serial_hex
    assert (tmp_path / "certs" / f"{serial}.pem").read_text() == (
        wechatpay_cert_mode.keys.platform_cert_pem
    )
    assert notification.resource["out_trade_no"] == "P-N"


def test_a_notification_just_under_5_minutes_old_is_accepted(wechatpay):
    # given
    headers, body = wechatpay.notification(
        _resource(), timestamp=int(time.time()) - 295
    )

    # when
    notification = get_client().parse_notification(headers=headers, body=body)

    # then
    assert notification.resource["amount"]["total"] == 2000
