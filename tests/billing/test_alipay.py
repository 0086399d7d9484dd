"""The Alipay client against the fake gateway: the real SDK signs, the fake verifies."""

import datetime
from urllib.parse import parse_qsl

import pytest
from django.utils import timezone

from billing.alipay import (
    AlipayRejected,
    AlipayUnavailable,
    NotificationRejected,
    get_client,
)
from tests.billing.conftest import ALIPAY_APP_ID, ALIPAY_SELLER_ID
from tests.fakes.keys import generate_rsa_key


@pytest.mark.clock
def test_wap_pay_returns_an_order_string_signed_with_the_app_key(alipay):
    # given
    client = get_client()
    expires = timezone.now() + datetime.timedelta(minutes=15)

    # when
    result = client.wap_pay(
        out_trade_no="P-A1", subject="挂号费", total=2050, time_expire=expires
    )

    # then
    params = dict(parse_qsl(result["order_string"]))
    assert result["pay_url"] == f"{alipay.gateway_url}?{result['order_string']}"
    assert params["method"] == "alipay.trade.wap.pay"
    assert params["app_id"] == ALIPAY_APP_ID
    assert (
        params["notify_url"] == "https://pay.example.test/api/v1/billing/notify/alipay/"
    )
    assert '"total_amount":"20.50"' in params["biz_content"]
    assert '"out_trade_no":"P-A1"' in params["biz_content"]
    expected_expire = timezone.localtime(expires).strftime("%Y-%m-%d %H:%M:%S")
    assert f'"time_expire":"{expected_expire}"' in params["biz_content"]
    assert alipay._verify_request(params) is True


def test_query_close_and_refund_round_trip(alipay):
    # given
    client = get_client()
    alipay.open_trade("P-OPEN", total_amount="9.00")
    alipay.pay("P-PAID", total_amount="20.00")

    # when
    missing = client.query_trade(out_trade_no="P-NEVER")
    paid = client.query_trade(out_trade_no="P-PAID")
    client.close_trade(out_trade_no="P-OPEN")
    client.close_trade(out_trade_no="P-NEVER")  # nothing to close: not an error
    refund = client.refund(
        out_refund_no="P-PAID-cancel", out_trade_no="P-PAID", refund=2000
    )
    again = client.refund(
        out_refund_no="P-PAID-cancel", out_trade_no="P-PAID", refund=2000
    )

    # then
    assert missing is None
    assert paid.is_paid is True
    assert paid.total == 2000
    assert paid.trade_no == alipay.trades["P-PAID"]["trade_no"]
    assert alipay.trades["P-OPEN"]["trade_status"] == "TRADE_CLOSED"
    assert refund.status == "SUCCESS"
    assert refund.refund == 2000
    assert (
        again.status == "SUCCESS"
    )  # a repeat moves no money and is confirmed by query
    assert alipay.trades["P-PAID"]["refunds"] == {"P-PAID-cancel": "20.00"}
    assert all(r.authorized for r in alipay.requests)


def test_a_refund_larger_than_the_trade_is_rejected(alipay):
    # given
    alipay.pay("P-R", total_amount="10.00")

    # when / then
    with pytest.raises(AlipayRejected) as excinfo:
        get_client().refund(out_refund_no="P-R-x", out_trade_no="P-R", refund=1001)
    assert excinfo.value.sub_code == "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL"
    assert alipay.trades["P-R"]["refunds"] == {}


def test_closing_a_paid_trade_is_rejected(alipay):
    # given
    alipay.pay("P-X", total_amount="10.00")

    # when / then
    with pytest.raises(AlipayRejected) as excinfo:
        get_client().close_trade(out_trade_no="P-X")
    assert excinfo.value.sub_code == "ACQ.TRADE_STATUS_ERROR"


def test_an_answer_not_signed_by_alipay_is_refused(alipay, alipay_keys):
    # given: answers signed with another key
    alipay.pay("P-F", total_amount="10.00")
    real = alipay.keys
    alipay.keys = type(real)(app_key=real.app_key, alipay_key=generate_rsa_key())

    # when / then
    try:
        with pytest.raises(AlipayUnavailable) as excinfo:
            get_client().query_trade(out_trade_no="P-F")
    finally:
        alipay.keys = real
    assert excinfo.value.detail == "answer signature invalid"


def test_a_busy_gateway_is_reported_as_unavailable(alipay):
    # given
    alipay.scripted_answers.append(
        {
            "code": "20000",
            "msg": "Service Currently Unavailable",
            "sub_code": "isp.unknow-error",
        }
    )

    # when / then
    with pytest.raises(AlipayUnavailable):
        get_client().query_trade(out_trade_no="P-ANY")


def test_an_unreachable_gateway_is_reported_as_unavailable(alipay, settings):
    # given
    settings.ALIPAY_GATEWAY_URL = "http://127.0.0.1:9/gateway.do"

    # when / then
    with pytest.raises(AlipayUnavailable):
        get_client().query_trade(out_trade_no="P-ANY")


def test_a_signed_notification_is_verified(alipay):
    # given
    params = alipay.notification(alipay.pay("P-N", total_amount="20.00"))

    # when
    data = get_client().verify_notification(params)

    # then
    assert data["out_trade_no"] == "P-N"
    assert data["seller_id"] == ALIPAY_SELLER_ID
    assert "sign" not in data


@pytest.mark.parametrize(
    "tamper",
    [
        lambda p: {**p, "total_amount": "0.01"},
        lambda p: {**p, "sign": p["sign"][:-8] + "AAAAAAA="},
        lambda p: {key: value for key, value in p.items() if key != "sign"},
        lambda p: {**p, "sign_type": "RSA"},
    ],
    ids=["changed-amount", "wrong-signature", "no-signature", "other-sign-type"],
)
def test_a_notification_failing_verification_is_rejected(alipay, tamper):
    # given
    params = tamper(alipay.notification(alipay.pay("P-N", total_amount="20.00")))

    # when / then
    with pytest.raises(NotificationRejected):
        get_client().verify_notification(params)


def test_a_notification_signed_with_another_key_is_rejected(alipay):
    # given
    params = alipay.notification(
        alipay.pay("P-N", total_amount="20.00"), key=generate_rsa_key()
    )

    # when / then
    with pytest.raises(NotificationRejected) as excinfo:
        get_client().verify_notification(params)
    assert excinfo.value.reason == "signature does not verify"
