"""The channels' notifications against malformed and mismatched input.

Every notification here is signed (and for WeChat Pay encrypted) with the fakes' keys, so
the real SDK verification and decryption run; only the content is odd.
"""

import pytest
from django.urls import reverse

from billing.alipay import NotificationRejected as AlipayRejected
from billing.models import PaymentLedgerEntry, PaymentOrder, Refund
from billing.services import refunds
from billing.services.notifications import (
    alipay_notification_handle,
    wechatpay_notification_handle,
)
from billing.services.refunds import refund_create_by_staff
from billing.wechatpay import NotificationRejected as WeChatPayRejected
from common.models import OperationLog
from common.services import Actor
from tests.billing.factories import open_order

pytestmark = [pytest.mark.django_db, pytest.mark.clock]

ACTOR = Actor.system()
OS = PaymentOrder.Status
RS = Refund.Status


def paid_order(channel: str, server, *, fee: int = 2000) -> PaymentOrder:
    """An order paid through the channel's real notification path."""
    order = open_order(channel=channel, fee=fee)
    if channel == "wechat":
        headers, body = server.notification(
            server.pay(order.out_trade_no, total=order.amount)
        )
        wechatpay_notification_handle(headers=headers, body=body, actor=ACTOR)
    else:
        params = server.notification(
            server.pay(order.out_trade_no, total_amount=f"{order.amount / 100:.2f}")
        )
        alipay_notification_handle(params=params, actor=ACTOR)
    order.refresh_from_db()
    assert order.status == OS.PAID
    return order


def post_wechat(client, headers: dict, body: bytes, name: str = "notify-wechat"):
    return client.generic(
        "POST",
        reverse(f"api:billing:{name}"),
        data=body,
        content_type="application/json",
        headers=headers,
    )


def post_alipay(client, params: dict):
    return client.post(reverse("api:billing:notify-alipay"), params)


def assert_refused_in_both_shapes(response, status: int, reason: str) -> None:
    assert response.status_code == status
    assert response.json() == {
        "code": "FAIL",
        "message": reason,
        "error": {"code": "notification_rejected", "message": reason, "fields": {}},
    }


# -- WeChat Pay: headers -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "value", "reason"),
    [
        ("Wechatpay-Timestamp", "9" * 400, "bad timestamp"),
        ("Wechatpay-Timestamp", "1_700_000_000", "bad timestamp"),
        ("Wechatpay-Timestamp", "+1700000000", "bad timestamp"),
        ("Wechatpay-Timestamp", "１７００００００００", "bad timestamp"),
        ("Wechatpay-Timestamp", "-1", "bad timestamp"),
        ("Wechatpay-Nonce", "a" * 500, "bad nonce"),
        ("Wechatpay-Nonce", "nonce with spaces", "bad nonce"),
        ("Wechatpay-Serial", "F" * 5000, "unknown Wechatpay-Serial"),
        ("Wechatpay-Serial", "0x1F", "unknown Wechatpay-Serial"),
        ("Wechatpay-Signature", "not base64!", "signature does not verify"),
    ],
    ids=[
        "timestamp-400-digits",
        "timestamp-underscores",
        "timestamp-plus",
        "timestamp-full-width",
        "timestamp-negative",
        "nonce-long",
        "nonce-spaces",
        "serial-long",
        "serial-0x",
        "signature-not-base64",
    ],
)
def test_a_malformed_wechat_header_is_refused_with_a_4xx_and_changes_nothing(
    client, wechatpay, header, value, reason
):
    # given
    order = open_order(channel="wechat")
    headers, body = wechatpay.notification(
        wechatpay.pay(order.out_trade_no, total=order.amount)
    )
    headers[header] = value

    # when
    response = post_wechat(client, headers, body)

    # then
    assert_refused_in_both_shapes(response, 401, reason)
    order.refresh_from_db()
    assert order.status == OS.CREATED
    assert PaymentLedgerEntry.objects.exists() is False


# -- WeChat Pay: the decrypted resource --------------------------------------------------


@pytest.mark.parametrize(
    ("resource", "reason"),
    [
        ([1, 2], "resource is not an object"),
        ("paid", "resource is not an object"),
        (12, "resource is not an object"),
        (None, "resource is not an object"),
    ],
    ids=["array", "string", "number", "null"],
)
def test_a_signed_resource_that_is_not_an_object_is_refused(
    client, wechatpay, resource, reason
):
    # given: correctly signed and encrypted, but the resource is no JSON object
    headers, body = wechatpay.notification(resource)

    # when
    response = post_wechat(client, headers, body)

    # then
    assert_refused_in_both_shapes(response, 400, reason)
    assert PaymentLedgerEntry.objects.exists() is False


@pytest.mark.parametrize(
    "amount",
    [
        {"total": "2000"},
        {"total": 2000.0},
        {"total": True},
        {"total": 10**400},
        {"total": -2000},
        [2000],
        "2000",
    ],
    ids=["string", "float", "bool", "huge", "negative", "array", "amount-string"],
)
def test_a_signed_payment_whose_amount_is_not_an_integer_of_fen_is_refused(
    client, wechatpay, amount
):
    # given
    order = open_order(channel="wechat", fee=2000)
    resource = {**wechatpay.pay(order.out_trade_no, total=2000), "amount": amount}
    headers, body = wechatpay.notification(resource)

    # when
    response = post_wechat(client, headers, body)

    # then
    assert_refused_in_both_shapes(response, 400, "amount does not match")
    order.refresh_from_db()
    assert order.status == OS.CREATED
    assert order.transaction_id is None
    assert PaymentLedgerEntry.objects.exists() is False
    assert list(
        OperationLog.objects.filter(
            action="billing.payment_amount_refused"
        ).values_list("object_id", flat=True)
    ) == [str(order.pk)]


@pytest.mark.parametrize(
    "changes",
    [
        {"out_trade_no": ["P"]},
        {"mchid": 1900000109},
        {"transaction_id": "4" * 65},
        {"success_time": "9" * 400},
    ],
    ids=["out-trade-no-array", "mchid-number", "transaction-id-too-long", "time"],
)
def test_signed_fields_of_the_wrong_type_or_size_never_answer_500(
    client, wechatpay, changes
):
    # given
    order = open_order(channel="wechat", fee=2000)
    resource = {**wechatpay.pay(order.out_trade_no, total=2000), **changes}
    headers, body = wechatpay.notification(resource)

    # when
    response = post_wechat(client, headers, body)

    # then: refused, or (a bad success_time) paid now
    if "success_time" in changes:
        assert response.status_code == 204
        order.refresh_from_db()
        assert order.status == OS.PAID
        assert order.paid_at is not None
    else:
        assert response.status_code == 400
        assert response.json()["code"] == "FAIL"
        order.refresh_from_db()
        assert order.status == OS.CREATED


def test_a_signed_envelope_that_is_not_an_object_is_refused(client, wechatpay):
    # given: the signature covers the body, which is an array
    body = b"[1, 2]"
    headers = wechatpay._signature_headers(body)

    # when
    response = post_wechat(client, headers, body)

    # then
    assert_refused_in_both_shapes(response, 400, "malformed notification")


# -- Alipay: amounts and times -----------------------------------------------------------


@pytest.mark.parametrize(
    "total_amount",
    ["２０.００", "2e1", "9" * 400, "20.001", "-20.00", "", " 20.00x"],
    ids=[
        "full-width",
        "exponent",
        "huge",
        "three-decimals",
        "negative",
        "empty",
        "junk",
    ],
)
def test_a_signed_alipay_payment_with_a_malformed_total_is_refused(
    client, alipay, total_amount
):
    # given
    order = open_order(channel="alipay", fee=2000)
    params = alipay.notification(
        {
            **alipay.pay(order.out_trade_no, total_amount="20.00"),
            "total_amount": total_amount,
        }
    )

    # when
    response = post_alipay(client, params)

    # then
    assert response.status_code == 400
    assert response.content == b"fail"
    order.refresh_from_db()
    assert order.status == OS.CREATED
    assert PaymentLedgerEntry.objects.exists() is False


def test_a_signed_alipay_payment_with_a_malformed_trade_no_is_refused(client, alipay):
    # given
    order = open_order(channel="alipay", fee=2000)
    params = alipay.notification(
        {**alipay.pay(order.out_trade_no, total_amount="20.00"), "trade_no": "9" * 65}
    )

    # when
    response = post_alipay(client, params)

    # then
    assert response.status_code == 400
    assert response.content == b"fail"
    order.refresh_from_db()
    assert order.status == OS.CREATED


def test_a_signed_alipay_payment_with_an_unreadable_gmt_payment_is_paid_now(
    client, alipay
):
    # given
    order = open_order(channel="alipay", fee=2000)
    params = alipay.notification(
        {
            **alipay.pay(order.out_trade_no, total_amount="20.00"),
            "gmt_payment": "9" * 400,
        }
    )

    # when
    response = post_alipay(client, params)

    # then
    assert response.content == b"success"
    order.refresh_from_db()
    assert order.status == OS.PAID
    assert order.paid_at is not None


# -- refund notifications: amount and order ----------------------------------------------


def alipay_refund_params(alipay, order: PaymentOrder, refund: Refund, **changes):
    return alipay.notification(
        {
            **alipay.pay(order.out_trade_no, total_amount=f"{order.amount / 100:.2f}"),
            "trade_status": "TRADE_CLOSED",
            "out_biz_no": refund.out_refund_no,
            "refund_fee": f"{refund.amount / 100:.2f}",
            "gmt_refund": "2024-05-01 10:00:00.000",
            **changes,
        }
    )


def test_an_alipay_refund_notification_for_less_than_the_refund_changes_nothing(
    client, alipay
):
    # given: a 50-yuan refund waiting for the channel
    order = paid_order("alipay", alipay, fee=5000)
    refund = refund_create_by_staff(order=order, actor=ACTOR)
    params = alipay_refund_params(alipay, order, refund, refund_fee="0.01")

    # when
    response = post_alipay(client, params)

    # then
    assert response.status_code == 400
    assert response.content == b"fail"
    refund.refresh_from_db()
    order.refresh_from_db()
    assert refund.status == RS.REFUNDING
    assert refund.succeeded_at is None
    assert order.status == OS.REFUNDING
    assert PaymentLedgerEntry.objects.filter(kind="refund").exists() is False
    log = OperationLog.objects.get(action="billing.refund_notification_refused")
    assert log.object_id == str(refund.pk)
    assert log.summary.startswith("amount does not match")
    assert log.ip == "127.0.0.1"


@pytest.mark.parametrize(
    "refund_fee", ["", "0.00.1", "５０.００", "9" * 400], ids=lambda v: v[:8] or "empty"
)
def test_an_alipay_refund_notification_with_a_malformed_refund_fee_is_refused(
    alipay, refund_fee
):
    # given
    order = paid_order("alipay", alipay, fee=5000)
    refund = refund_create_by_staff(order=order, actor=ACTOR)
    params = alipay_refund_params(alipay, order, refund, refund_fee=refund_fee)

    # when / then
    with pytest.raises(AlipayRejected) as excinfo:
        alipay_notification_handle(params=params, actor=ACTOR)
    assert excinfo.value.reason == "refund_fee is not an amount"
    refund.refresh_from_db()
    assert refund.status == RS.REFUNDING


def test_an_alipay_refund_notification_naming_another_order_changes_nothing(alipay):
    # given: two paid orders; the refund belongs to the first
    first = paid_order("alipay", alipay, fee=5000)
    second = paid_order("alipay", alipay, fee=5000)
    refund = refund_create_by_staff(order=first, actor=ACTOR)
    params = alipay_refund_params(alipay, second, refund)

    # when / then
    with pytest.raises(AlipayRejected) as excinfo:
        alipay_notification_handle(params=params, actor=ACTOR)
    assert excinfo.value.reason == "out_trade_no does not match"
    refund.refresh_from_db()
    assert refund.status == RS.REFUNDING
    assert OperationLog.objects.filter(
        action="billing.refund_notification_refused", object_id=str(refund.pk)
    ).exists()


def test_an_alipay_refund_notification_of_the_right_amount_is_applied(alipay):
    # given
    order = paid_order("alipay", alipay, fee=5000)
    refund = refund_create_by_staff(order=order, actor=ACTOR)

    # when
    alipay_notification_handle(
        params=alipay_refund_params(alipay, order, refund), actor=ACTOR
    )

    # then
    refund.refresh_from_db()
    assert refund.status == RS.SUCCEEDED
    assert (
        OperationLog.objects.filter(
            action="billing.refund_notification_refused"
        ).exists()
        is False
    )


def test_a_refund_success_notified_twice_is_applied_once(alipay):
    # given
    order = paid_order("alipay", alipay, fee=5000)
    refund = refund_create_by_staff(order=order, actor=ACTOR)
    params = alipay_refund_params(alipay, order, refund)
    alipay_notification_handle(params=params, actor=ACTOR)
    refund.refresh_from_db()
    first_success = refund.succeeded_at

    # when: Alipay delivers the same notification again
    alipay_notification_handle(params=params, actor=ACTOR)

    # then
    refund.refresh_from_db()
    order.refresh_from_db()
    assert refund.status == RS.SUCCEEDED
    assert refund.succeeded_at == first_success
    assert order.status == OS.REFUNDED
    assert order.refunded_amount == 5000
    assert PaymentLedgerEntry.objects.filter(kind="refund").count() == 1
    assert OperationLog.objects.filter(action="billing.refund_succeeded").count() == 1


def test_a_wechat_refund_notification_naming_another_order_changes_nothing(
    wechatpay, django_capture_on_commit_callbacks
):
    # given: a refund of the first order, still processing at WeChat
    wechatpay.refund_status = "PROCESSING"
    first = paid_order("wechat", wechatpay)
    second = paid_order("wechat", wechatpay)
    with django_capture_on_commit_callbacks(execute=True):
        refund = refund_create_by_staff(order=first, actor=ACTOR)
    resource = {
        **wechatpay.refund_resource(refund.out_refund_no),
        "status": "SUCCESS",
        "out_trade_no": second.out_trade_no,
    }
    headers, body = wechatpay.notification(
        resource, event_type="REFUND.SUCCESS", original_type="refund"
    )

    # when / then
    with pytest.raises(WeChatPayRejected) as excinfo:
        wechatpay_notification_handle(headers=headers, body=body, actor=ACTOR)
    assert excinfo.value.reason == "out_trade_no does not match"
    refund.refresh_from_db()
    assert refund.status == RS.REFUNDING
    log = OperationLog.objects.get(action="billing.refund_notification_refused")
    assert log.object_id == str(refund.pk)


def test_a_wechat_refund_notification_for_less_than_the_refund_is_logged(
    wechatpay, django_capture_on_commit_callbacks
):
    # given
    wechatpay.refund_status = "PROCESSING"
    order = paid_order("wechat", wechatpay, fee=5000)
    with django_capture_on_commit_callbacks(execute=True):
        refund = refund_create_by_staff(order=order, actor=ACTOR)
    resource = {
        **wechatpay.refund_resource(refund.out_refund_no),
        "status": "SUCCESS",
        "amount": {"total": 5000, "refund": 1},
    }
    headers, body = wechatpay.notification(
        resource, event_type="REFUND.SUCCESS", original_type="refund"
    )

    # when / then
    with pytest.raises(WeChatPayRejected) as excinfo:
        wechatpay_notification_handle(headers=headers, body=body, actor=ACTOR)
    assert excinfo.value.reason == "amount does not match"
    refund.refresh_from_db()
    assert refund.status == RS.REFUNDING
    assert (
        OperationLog.objects.filter(
            action="billing.refund_notification_refused", object_id=str(refund.pk)
        ).count()
        == 1
    )


@pytest.mark.parametrize(
    ("refund_fee", "is_applied"),
    [("20.00", True), ("15.00", False)],
    ids=["trade-total-refunded", "this-refund-only"],
)
def test_alipay_reports_the_trades_total_refunded_so_far(
    alipay, refund_fee, is_applied
):
    # given: 5.00 of 20.00 already refunded, then the remaining 15.00
    order = paid_order("alipay", alipay, fee=2000)
    first = refunds.refund_create(
        order=order, actor=ACTOR, kind=Refund.Kind.STAFF, reason="staff", amount=500
    )
    alipay_notification_handle(
        params=alipay_refund_params(alipay, order, first, refund_fee="5.00"),
        actor=ACTOR,
    )
    second = refunds.refund_create(
        order=order, actor=ACTOR, kind=Refund.Kind.CANCEL, reason="cancel:patient"
    )
    params = alipay_refund_params(alipay, order, second, refund_fee=refund_fee)

    # when
    if is_applied:
        alipay_notification_handle(params=params, actor=ACTOR)
    else:
        with pytest.raises(AlipayRejected):
            alipay_notification_handle(params=params, actor=ACTOR)

    # then
    second.refresh_from_db()
    order.refresh_from_db()
    assert second.amount == 1500
    assert second.status == (RS.SUCCEEDED if is_applied else RS.REFUNDING)
    assert order.status == (OS.REFUNDED if is_applied else OS.REFUNDING)
