"""Payment orders and the one path to "paid": notifications, channel queries, dev gateway."""

import datetime
import json
from decimal import Decimal

import pytest
from django.utils import timezone

from appointments.models import Appointment
from appointments.services import appointment_expire
from billing.alipay import NotificationRejected as AlipayRejected
from billing.gateways import channels_enabled
from billing.models import PaymentLedgerEntry, PaymentOrder, Refund
from billing.services.notifications import (
    alipay_notification_handle,
    payment_order_dev_pay,
    wechatpay_notification_handle,
)
from billing.services.orders import payment_order_open, payment_order_pay_params
from billing.services.payments import payment_order_mark_paid
from billing.services.settlement import holds_expire, payment_settle_before_expiry
from billing.wechatpay import NotificationRejected as WeChatRejected
from common.errors import Conflict, NotFound, ServiceUnavailable, Unprocessable
from common.models import OperationLog
from common.services import Actor
from tests.appointments.factories import PatientProfileFactory
from tests.billing.factories import open_order, pending_appointment

pytestmark = [pytest.mark.django_db, pytest.mark.clock]

ACTOR = Actor.system()
S = Appointment.Status
OS = PaymentOrder.Status


def assert_unpaid(order, appointment):
    order.refresh_from_db()
    appointment.refresh_from_db()
    assert order.status == OS.CREATED
    assert order.transaction_id is None
    assert appointment.status == S.PENDING_PAYMENT
    assert PaymentLedgerEntry.objects.exists() is False
    assert OperationLog.objects.filter(action="billing.order_paid").exists() is False


# -- opening orders ----------------------------------------------------------------------


def test_an_order_charges_the_fee_and_is_logged(dev_gateway):
    # given
    appointment = pending_appointment(fee=2500)

    # when
    order = payment_order_open(appointment=appointment, channel="dev", actor=ACTOR)

    # then
    assert order.status == OS.CREATED
    assert order.amount == 2500
    assert order.original_amount == 2500
    assert order.user_id == appointment.user_id
    assert len(order.out_trade_no) == 25
    assert order.out_trade_no.startswith("P")
    log = OperationLog.objects.get(action="billing.order_create")
    assert log.object_id == str(order.pk)


def test_the_member_discount_rounds_half_up_to_whole_fen(dev_gateway, monkeypatch):
    # given: a member level paying 85% (membership plugs in through this selector)
    monkeypatch.setattr(
        "billing.services.orders.discount_rate_for_user",
        lambda *, user: Decimal("0.85"),
    )
    appointment = pending_appointment(fee=1990)

    # when
    order = payment_order_open(appointment=appointment, channel="dev", actor=ACTOR)

    # then: 1990 x 0.85 = 1691.5 -> 1692
    assert order.amount == 1692
    assert order.original_amount == 1990


def test_asking_again_reuses_the_open_order_of_the_same_channel(dev_gateway, alipay):
    # given
    appointment = pending_appointment()
    first = payment_order_open(appointment=appointment, channel="dev", actor=ACTOR)

    # when
    again = payment_order_open(appointment=appointment, channel="dev", actor=ACTOR)
    other = payment_order_open(appointment=appointment, channel="alipay", actor=ACTOR)

    # then
    assert again.pk == first.pk
    assert other.pk != first.pk
    assert PaymentOrder.objects.count() == 2


def test_an_appointment_that_is_not_pending_payment_is_refused(dev_gateway):
    # given
    appointment = pending_appointment()
    Appointment.objects.filter(pk=appointment.pk).update(
        status=S.BOOKED, hold_expires_at=None
    )
    appointment.refresh_from_db()

    # when
    with pytest.raises(Conflict) as excinfo:
        payment_order_open(appointment=appointment, channel="dev", actor=ACTOR)

    # then
    assert excinfo.value.code == "appointment_not_payable"
    assert excinfo.value.status_code == 409
    assert PaymentOrder.objects.exists() is False


def test_an_appointment_whose_hold_expired_is_refused(dev_gateway):
    # given
    appointment = pending_appointment()
    Appointment.objects.filter(pk=appointment.pk).update(
        hold_expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )

    # when
    with pytest.raises(Conflict) as excinfo:
        payment_order_open(appointment=appointment, channel="dev", actor=ACTOR)

    # then
    assert excinfo.value.code == "payment_time_expired"
    assert PaymentOrder.objects.exists() is False


def test_a_channel_without_credentials_is_not_available():
    # given: no WeChat Pay settings, dev gateway off
    appointment = pending_appointment()

    # when / then
    for channel in ("wechat", "alipay", "dev"):
        with pytest.raises(Unprocessable) as excinfo:
            payment_order_open(appointment=appointment, channel=channel, actor=ACTOR)
        assert excinfo.value.code == "channel_not_available"
    assert channels_enabled() == []
    assert PaymentOrder.objects.exists() is False


def test_wechat_pay_needs_a_wechat_login(wechatpay):
    # given
    appointment = pending_appointment(openid=False)

    # when
    with pytest.raises(Unprocessable) as excinfo:
        payment_order_open(appointment=appointment, channel="wechat", actor=ACTOR)

    # then
    assert excinfo.value.code == "wechat_login_required"
    assert PaymentOrder.objects.exists() is False


# -- pay parameters ----------------------------------------------------------------------


def test_wechat_pay_params_come_from_one_prepay_reused_on_retries(wechatpay):
    # given
    order = open_order(channel="wechat", fee=3000)

    # when
    first = payment_order_pay_params(order=order)
    second = payment_order_pay_params(order=order)

    # then
    [prepay] = wechatpay.requests_to("POST", "/v3/pay/transactions/jsapi")
    sent = json.loads(prepay.body)
    assert sent["amount"] == {"total": 3000, "currency": "CNY"}
    assert sent["payer"] == {"openid": order.user.wechat_openid}
    assert sent["out_trade_no"] == order.out_trade_no
    assert sent["time_expire"] == timezone.localtime(
        order.appointment.hold_expires_at
    ).isoformat(timespec="seconds")
    order.refresh_from_db()
    assert order.prepay_id == wechatpay.trades[order.out_trade_no]["prepay_id"]
    assert first["package"] == second["package"] == f"prepay_id={order.prepay_id}"
    assert first["signType"] == "RSA"


def test_alipay_pay_params_are_the_signed_h5_cashier_url(alipay):
    # given
    order = open_order(channel="alipay", fee=2050)

    # when
    params = payment_order_pay_params(order=order)

    # then
    assert params["pay_url"].startswith(alipay.gateway_url + "?")
    assert "total_amount%22%3A%2220.50%22" in params["order_string"]
    assert alipay.requests == []  # signed locally, no call to Alipay


def test_a_paid_order_has_no_pay_params(dev_gateway):
    # given
    order = open_order(channel="dev")
    payment_order_dev_pay(order=order, actor=ACTOR)

    # when / then
    assert payment_order_pay_params(order=order) is None


# -- WeChat Pay notifications ------------------------------------------------------------


def wechat_notify(server, order, **resource_changes):
    resource = {
        **server.pay(order.out_trade_no, total=order.amount),
        **resource_changes,
    }
    headers, body = server.notification(resource)
    wechatpay_notification_handle(headers=headers, body=body, actor=ACTOR)
    return resource


def test_a_wechat_notification_pays_the_order_and_books_the_appointment(wechatpay):
    # given
    order = open_order(channel="wechat")
    payment_order_pay_params(order=order)

    # when
    resource = wechat_notify(wechatpay, order)

    # then
    order.refresh_from_db()
    assert order.status == OS.PAID
    assert order.transaction_id == resource["transaction_id"]
    assert order.paid_at == datetime.datetime.fromisoformat(resource["success_time"])
    assert order.is_open is None
    order.appointment.refresh_from_db()
    assert order.appointment.status == S.BOOKED
    [entry] = PaymentLedgerEntry.objects.all()
    assert (entry.kind, entry.amount, entry.channel) == ("payment", 2000, "wechat")
    assert entry.channel_reference == resource["transaction_id"]
    assert OperationLog.objects.filter(action="billing.order_paid").count() == 1
    assert OperationLog.objects.filter(action="appointment.booked").count() == 1


def test_the_same_wechat_notification_twice_pays_once(wechatpay):
    # given
    order = open_order(channel="wechat")
    resource = wechatpay.pay(order.out_trade_no, total=order.amount)
    headers, body = wechatpay.notification(resource)

    # when
    wechatpay_notification_handle(headers=headers, body=body, actor=ACTOR)
    wechatpay_notification_handle(headers=headers, body=body, actor=ACTOR)

    # then
    order.refresh_from_db()
    assert order.status == OS.PAID
    assert PaymentLedgerEntry.objects.count() == 1
    assert OperationLog.objects.filter(action="billing.order_paid").count() == 1
    assert OperationLog.objects.filter(action="appointment.booked").count() == 1


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        (
            {"amount": {"total": 1999, "payer_total": 1999, "currency": "CNY"}},
            "amount does not match",
        ),
        ({"appid": "wx-someone-else"}, "appid does not match"),
        ({"mchid": "1900000999"}, "mchid does not match"),
        ({"out_trade_no": "P-UNKNOWN-ORDER"}, "unknown out_trade_no"),
        ({"trade_state": "PAYERROR"}, "not a successful payment"),
    ],
    ids=["wrong-amount", "wrong-appid", "wrong-mchid", "unknown-order", "not-success"],
)
def test_a_wechat_notification_not_matching_the_order_changes_nothing(
    wechatpay, changes, reason
):
    # given
    order = open_order(channel="wechat")

    # when
    with pytest.raises(WeChatRejected) as excinfo:
        wechat_notify(wechatpay, order, **changes)

    # then
    assert excinfo.value.reason == reason
    assert_unpaid(order, order.appointment)


def test_a_wechat_notification_failing_verification_changes_nothing(wechatpay):
    # given
    order = open_order(channel="wechat")
    headers, body = wechatpay.notification(
        wechatpay.pay(order.out_trade_no, total=order.amount),
        timestamp=int(timezone.now().timestamp()) - 301,
    )

    # when
    with pytest.raises(WeChatRejected):
        wechatpay_notification_handle(headers=headers, body=body, actor=ACTOR)

    # then
    assert_unpaid(order, order.appointment)


# -- Alipay notifications ----------------------------------------------------------------


def alipay_notify(server, order, **changes):
    params = server.pay(order.out_trade_no, total_amount=f"{order.amount / 100:.2f}")
    signed = server.notification({**params, **changes})
    alipay_notification_handle(params=signed, actor=ACTOR)
    return params


def test_an_alipay_notification_pays_the_order_and_books_the_appointment(alipay):
    # given
    order = open_order(channel="alipay", fee=2050)

    # when
    params = alipay_notify(alipay, order)

    # then
    order.refresh_from_db()
    assert order.status == OS.PAID
    assert order.transaction_id == params["trade_no"]
    assert (
        timezone.localtime(order.paid_at).strftime("%Y-%m-%d %H:%M:%S")
        == params["gmt_payment"]
    )
    order.appointment.refresh_from_db()
    assert order.appointment.status == S.BOOKED
    assert PaymentLedgerEntry.objects.get().amount == 2050


def test_only_trade_success_and_trade_finished_mean_paid(alipay):
    # given
    order = open_order(channel="alipay")

    # when: acknowledged, but nothing was received
    alipay_notify(alipay, order, trade_status="WAIT_BUYER_PAY")
    alipay_notify(alipay, order, trade_status="TRADE_CLOSED")

    # then
    assert_unpaid(order, order.appointment)

    # when
    alipay_notify(alipay, order, trade_status="TRADE_FINISHED")

    # then
    order.refresh_from_db()
    assert order.status == OS.PAID


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"total_amount": "19.99"}, "amount does not match"),
        ({"total_amount": "20.001"}, "total_amount is not an amount"),
        ({"app_id": "2021000000000999"}, "app_id does not match"),
        ({"seller_id": "2088000000000999"}, "seller_id does not match"),
        ({"out_trade_no": "P-UNKNOWN-ORDER"}, "unknown out_trade_no"),
    ],
    ids=[
        "wrong-amount",
        "three-decimals",
        "wrong-app",
        "wrong-seller",
        "unknown-order",
    ],
)
def test_an_alipay_notification_not_matching_the_order_changes_nothing(
    alipay, changes, reason
):
    # given
    order = open_order(channel="alipay")

    # when
    with pytest.raises(AlipayRejected) as excinfo:
        alipay_notify(alipay, order, **changes)

    # then
    assert excinfo.value.reason == reason
    assert_unpaid(order, order.appointment)


def test_an_alipay_notification_with_a_bad_signature_changes_nothing(alipay):
    # given
    order = open_order(channel="alipay")
    params = alipay.notification(alipay.pay(order.out_trade_no, total_amount="20.00"))
    params["total_amount"] = "20.00 "  # one byte more than what was signed

    # when
    with pytest.raises(AlipayRejected) as excinfo:
        alipay_notification_handle(params=params, actor=ACTOR)

    # then
    assert excinfo.value.reason == "signature does not verify"
    assert_unpaid(order, order.appointment)


def test_an_alipay_notification_for_a_wechat_order_is_refused(alipay, wechatpay):
    # given
    order = open_order(channel="wechat")

    # when
    with pytest.raises(AlipayRejected) as excinfo:
        alipay_notify(alipay, order)

    # then
    assert excinfo.value.reason == "unknown out_trade_no"
    assert_unpaid(order, order.appointment)


# -- payments that cannot be kept --------------------------------------------------------


def _expire(appointment):
    Appointment.objects.filter(pk=appointment.pk).update(
        hold_expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    assert appointment_expire(
        actor=ACTOR, appointment_id=appointment.pk, now=timezone.now()
    )


def test_a_late_payment_retakes_a_seat_that_is_still_free(dev_gateway):
    # given
    order = open_order(channel="dev")
    _expire(order.appointment)

    # when
    payment_order_dev_pay(order=order, actor=ACTOR)

    # then
    order.refresh_from_db()
    order.appointment.refresh_from_db()
    assert order.status == OS.PAID
    assert order.appointment.status == S.BOOKED
    assert Refund.objects.exists() is False


def test_a_late_payment_for_a_seat_given_away_is_kept_as_paid_and_refunded(
    wechatpay, django_capture_on_commit_callbacks
):
    # given: the only seat expired and went to another patient
    order = open_order(channel="wechat", fee=2000)
    slot = order.appointment.slot
    slot.capacity = 1
    slot.save()
    _expire(order.appointment)
    from tests.billing.factories import pending_appointment as book

    book(slot=slot, profile=PatientProfileFactory())

    # when
    with django_capture_on_commit_callbacks(execute=True):
        wechat_notify(wechatpay, order)

    # then
    order.refresh_from_db()
    order.appointment.refresh_from_db()
    assert order.appointment.status == S.CANCELLED
    [refund] = order.refunds.all()
    assert refund.kind == Refund.Kind.LATE_PAYMENT
    assert refund.amount == 2000
    assert refund.status == Refund.Status.SUCCEEDED
    assert wechatpay.refunds[refund.out_refund_no]["refund"] == 2000
    assert order.status == OS.REFUNDED
    assert order.refunded_amount == 2000
    assert order.transaction_id is not None
    assert sorted(PaymentLedgerEntry.objects.values_list("kind", "amount")) == [
        ("payment", 2000),
        ("refund", 2000),
    ]


def test_paying_an_appointment_twice_refunds_the_second_payment(
    dev_gateway, alipay, django_capture_on_commit_callbacks
):
    # given: two open orders for one appointment, both paid
    appointment = pending_appointment()
    first = payment_order_open(appointment=appointment, channel="dev", actor=ACTOR)
    second = payment_order_open(appointment=appointment, channel="alipay", actor=ACTOR)
    payment_order_dev_pay(order=first, actor=ACTOR)

    # when
    with django_capture_on_commit_callbacks(execute=True):
        alipay_notify(alipay, second)

    # then
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == OS.PAID
    assert second.status == OS.REFUNDED
    [refund] = Refund.objects.all()
    assert (refund.order_id, refund.kind) == (second.pk, Refund.Kind.DUPLICATE_PAYMENT)
    assert alipay.trades[second.out_trade_no]["refunds"] == {
        refund.out_refund_no: "20.00"
    }


def test_paying_one_channel_closes_the_other_channels_open_order(
    dev_gateway, alipay, django_capture_on_commit_callbacks
):
    # given: the patient opened the Alipay cashier, then paid with the dev gateway
    appointment = pending_appointment()
    paid = payment_order_open(appointment=appointment, channel="dev", actor=ACTOR)
    other = payment_order_open(appointment=appointment, channel="alipay", actor=ACTOR)
    alipay.open_trade(other.out_trade_no, total_amount="20.00")

    # when
    with django_capture_on_commit_callbacks(execute=True):
        payment_order_dev_pay(order=paid, actor=ACTOR)

    # then
    other.refresh_from_db()
    assert other.status == OS.CLOSED
    assert alipay.trades[other.out_trade_no]["trade_status"] == "TRADE_CLOSED"


# -- settling before the hold expires ----------------------------------------------------


def test_settle_finds_a_paid_wechat_order_and_books_it(wechatpay):
    # given: paid at WeChat, but the notification never arrived
    order = open_order(channel="wechat")
    payment_order_pay_params(order=order)
    wechatpay.pay(order.out_trade_no)

    # when
    settled = payment_settle_before_expiry(appointment=order.appointment)

    # then
    assert settled is True
    order.refresh_from_db()
    order.appointment.refresh_from_db()
    assert order.status == OS.PAID
    assert (
        order.transaction_id == wechatpay.trades[order.out_trade_no]["transaction_id"]
    )
    assert order.appointment.status == S.BOOKED
    assert PaymentLedgerEntry.objects.count() == 1


def test_settle_closes_an_unpaid_order_at_the_channel_and_here(wechatpay):
    # given
    order = open_order(channel="wechat")
    payment_order_pay_params(order=order)

    # when
    settled = payment_settle_before_expiry(appointment=order.appointment)

    # then
    assert settled is False
    order.refresh_from_db()
    assert order.status == OS.CLOSED
    assert order.is_open is None
    assert wechatpay.trades[order.out_trade_no]["trade_state"] == "CLOSED"
    assert len(wechatpay.requests_to("POST", "/v3/pay/transactions/out-trade-no/")) == 1
    assert OperationLog.objects.filter(action="billing.order_close").count() == 1


def test_settle_closes_an_order_the_channel_never_saw_without_calling_close(alipay):
    # given: the patient never opened the cashier
    order = open_order(channel="alipay")

    # when
    settled = payment_settle_before_expiry(appointment=order.appointment)

    # then
    assert settled is False
    order.refresh_from_db()
    assert order.status == OS.CLOSED
    assert [r.method for r in alipay.requests] == ["alipay.trade.query"]


def test_settle_with_an_unreachable_channel_raises_and_changes_nothing(
    wechatpay, settings
):
    # given
    order = open_order(channel="wechat")
    settings.WECHATPAY_API_BASE_URL = "http://127.0.0.1:9"

    # when
    with pytest.raises(ServiceUnavailable):
        payment_settle_before_expiry(appointment=order.appointment)

    # then
    assert_unpaid(order, order.appointment)


def test_the_expiry_job_books_an_appointment_paid_at_the_channel(alipay):
    # given: paid at Alipay, notification lost, hold now over

    order = open_order(channel="alipay")
    alipay.pay(order.out_trade_no, total_amount="20.00")
    Appointment.objects.filter(pk=order.appointment_id).update(
        hold_expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )

    # when
    expired = holds_expire()

    # then
    assert expired == 0
    order.refresh_from_db()
    order.appointment.refresh_from_db()
    assert order.status == OS.PAID
    assert order.appointment.status == S.BOOKED


# -- dev gateway -------------------------------------------------------------------------


def test_the_dev_gateway_pays_through_the_notification_path(dev_gateway):
    # given
    order = open_order(channel="dev", fee=1200)

    # when
    payment_order_dev_pay(order=order, actor=ACTOR)
    payment_order_dev_pay(order=order, actor=ACTOR)

    # then
    order.refresh_from_db()
    assert order.status == OS.PAID
    assert order.transaction_id == f"DEV-{order.out_trade_no}"
    assert PaymentLedgerEntry.objects.get().amount == 1200
    order.appointment.refresh_from_db()
    assert order.appointment.status == S.BOOKED


def test_the_dev_gateway_is_off_without_debug_or_the_setting(dev_gateway, settings):
    # given
    order = open_order(channel="dev")
    settings.PAYMENTS_DEV_GATEWAY = False

    # when / then
    with pytest.raises(NotFound):
        payment_order_dev_pay(order=order, actor=ACTOR)
    assert_unpaid(order, order.appointment)


def test_the_dev_gateway_pays_only_dev_orders(dev_gateway, alipay):
    # given
    order = open_order(channel="alipay")

    # when / then
    with pytest.raises(Conflict) as excinfo:
        payment_order_dev_pay(order=order, actor=ACTOR)
    assert excinfo.value.code == "not_a_dev_order"
    assert_unpaid(order, order.appointment)


def test_marking_paid_with_a_wrong_amount_is_refused_and_changes_nothing(
    dev_gateway,
):
    # given
    order = open_order(channel="dev", fee=2000)
    appointment = order.appointment

    # when
    with pytest.raises(Conflict) as excinfo:
        payment_order_mark_paid(
            order=order,
            transaction_id="T-WRONG-AMOUNT",
            amount=1999,
            paid_at=timezone.now(),
            actor=ACTOR,
        )

    # then
    assert excinfo.value.code == "amount_mismatch"
    assert_unpaid(order, appointment)
    assert appointment.status == S.PENDING_PAYMENT
    assert PaymentLedgerEntry.objects.exists() is False
    assert OperationLog.objects.filter(action="billing.order_paid").exists() is False


def test_a_second_payment_of_a_paid_order_with_another_transaction_id_is_logged(
    dev_gateway,
):
    # given
    order = open_order(channel="dev", fee=2000)
    payment_order_mark_paid(
        order=order,
        transaction_id="T-FIRST",
        amount=2000,
        paid_at=timezone.now(),
        actor=ACTOR,
    )

    # when
    again = payment_order_mark_paid(
        order=order,
        transaction_id="T-SECOND",
        amount=2000,
        paid_at=timezone.now(),
        actor=ACTOR,
    )

    # then: the first payment stands, the second is on record for staff
    assert again.transaction_id == "T-FIRST"
    assert again.status == OS.PAID
    assert PaymentLedgerEntry.objects.filter(kind="payment").count() == 1
    assert Refund.objects.exists() is False
    log = OperationLog.objects.get(action="billing.order_paid_again")
    assert log.object_id == str(order.pk)
    assert "T-SECOND" in log.summary
