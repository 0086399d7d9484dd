"""Orders for a higher app's payable (an online consult): the channels' notification
endpoints, the database's one-payable rules, the sweeps, the admin and reconciliation."""

import datetime
import itertools
import json

import pytest
import time_machine
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from billing.models import PaymentLedgerEntry, PaymentOrder, Refund
from billing.services.orders import payable_order_open
from billing.services.payments import payment_order_mark_paid
from billing.tasks import orders_settle_abandoned
from common.services import Actor
from consult.models import Consult
from consult.services.consults import consult_close
from consult.services.payment import unpaid_consults_expire
from tests.accounts.factories import PatientProfileFactory
from tests.billing.test_reconcile import WECHAT_BILL, at, reconcile, the_days_business
from tests.consult.factories import consult_for, offering_doctor

pytestmark = pytest.mark.django_db

ACTOR = Actor.system()
CONSULT = PaymentOrder.Kind.CONSULT
_openids = itertools.count(1)


def awaiting_consult(*, fee: int = 3000) -> Consult:
    profile = PatientProfileFactory(user__wechat_openid=f"o-consult-{next(_openids)}")
    return consult_for(doctor=offering_doctor(fee=fee, reply_hours=12), profile=profile)


def consult_order(consult: Consult, channel: str, **kwargs) -> PaymentOrder:
    return payable_order_open(
        kind=CONSULT, ref_id=consult.pk, channel=channel, actor=ACTOR, **kwargs
    )


def test_a_wechat_pay_notification_pays_a_consult_order(client, wechatpay):
    # given
    consult = awaiting_consult(fee=3000)
    order = consult_order(consult, "wechat")
    headers, body = wechatpay.notification(
        wechatpay.pay(order.out_trade_no, total=order.amount)
    )

    # when
    response = client.generic(
        "POST",
        reverse("api:billing:notify-wechat"),
        data=body,
        content_type="application/json",
        headers=headers,
    )

    # then
    assert response.status_code == 204
    order.refresh_from_db()
    assert (order.status, order.amount) == ("paid", 3000)
    assert order.transaction_id.startswith("42000")
    consult.refresh_from_db()
    assert consult.status == Consult.Status.WAITING
    assert consult.reply_deadline == order.paid_at + datetime.timedelta(hours=12)
    assert PaymentLedgerEntry.objects.get().order_id == order.pk


def test_the_wechat_prepay_names_the_consult_and_expires_with_its_payment_time(
    api_client, wechatpay, settings
):
    # given
    settings.CONSULT_PAYMENT_MINUTES = 30
    consult = awaiting_consult(fee=3000)
    api_client.force_authenticate(consult.user)

    # when
    response = api_client.post(
        f"/api/v1/consult/{consult.pk}/pay/", {"channel": "wechat"}, format="json"
    )

    # then
    assert response.status_code == 201, response.json()
    order = PaymentOrder.objects.get()
    assert response.json()["pay_params"]["package"] == f"prepay_id={order.prepay_id}"
    [request] = wechatpay.requests_to("POST", "/v3/pay/transactions/jsapi")
    prepay = json.loads(request.body)
    assert consult.doctor.name in prepay["description"]
    assert prepay["amount"]["total"] == 3000
    expires = datetime.datetime.fromisoformat(prepay["time_expire"])
    assert expires == consult.created_at.replace(microsecond=0) + datetime.timedelta(
        minutes=30
    )


def test_an_alipay_notification_pays_a_consult_order(client, alipay):
    # given
    consult = awaiting_consult(fee=1550)
    order = consult_order(consult, "alipay")
    params = alipay.notification(alipay.pay(order.out_trade_no, total_amount="15.50"))

    # when
    response = client.post(reverse("api:billing:notify-alipay"), params)

    # then
    assert response.content == b"success"
    order.refresh_from_db()
    assert order.status == "paid"
    consult.refresh_from_db()
    assert consult.status == Consult.Status.WAITING


def test_concurrent_copies_of_a_notification_pay_a_consult_once(client, alipay):
    # given
    consult = awaiting_consult(fee=1550)
    order = consult_order(consult, "alipay")
    params = alipay.notification(alipay.pay(order.out_trade_no, total_amount="15.50"))

    # when: delivered twice
    for _ in range(2):
        assert Client().post(reverse("api:billing:notify-alipay"), params).content == (
            b"success"
        )

    # then
    assert PaymentLedgerEntry.objects.count() == 1
    assert Refund.objects.exists() is False


def test_a_consult_paid_through_two_channels_refunds_the_second_payment(
    dev_gateway, alipay
):
    # given: open orders at two channels, both paid
    consult = awaiting_consult(fee=3000)
    first = consult_order(consult, "dev")
    second = consult_order(consult, "alipay")

    # when
    for order in (first, second):
        payment_order_mark_paid(
            order=order,
            transaction_id=f"T-{order.pk}",
            amount=3000,
            paid_at=timezone.now(),
            actor=ACTOR,
        )

    # then
    refund = Refund.objects.get()
    assert (refund.order_id, refund.kind, refund.amount) == (
        second.pk,
        "duplicate_payment",
        3000,
    )
    consult.refresh_from_db()
    assert consult.status == Consult.Status.WAITING


def test_an_order_pays_for_exactly_one_payable():
    consult = awaiting_consult()
    fields = {
        "hospital_id": consult.hospital_id,
        "user": consult.user,
        "channel": "dev",
        "original_amount": 100,
        "amount": 100,
    }

    # neither an appointment nor a reference
    with pytest.raises(IntegrityError), transaction.atomic():
        PaymentOrder.objects.create(kind=CONSULT, out_trade_no="PX1", **fields)
    # an appointment order with a reference too
    with pytest.raises(IntegrityError), transaction.atomic():
        PaymentOrder.objects.create(
            kind="appointment", ref_id=consult.pk, out_trade_no="PX2", **fields
        )
    assert PaymentOrder.objects.exists() is False


def test_one_open_order_per_consult_and_channel_in_the_database():
    consult = awaiting_consult()
    fields = {
        "kind": CONSULT,
        "ref_id": consult.pk,
        "hospital_id": consult.hospital_id,
        "user": consult.user,
        "channel": "dev",
        "original_amount": 100,
        "amount": 100,
    }
    PaymentOrder.objects.create(out_trade_no="PY1", **fields)

    with pytest.raises(IntegrityError), transaction.atomic():
        PaymentOrder.objects.create(out_trade_no="PY2", **fields)

    # a closed one does not count
    PaymentOrder.objects.filter(out_trade_no="PY1").update(
        status="closed", is_open=None
    )
    PaymentOrder.objects.create(out_trade_no="PY3", **fields)
    assert PaymentOrder.objects.filter(status="created").count() == 1


def test_the_abandoned_sweep_leaves_a_consult_awaiting_payment_and_closes_the_rest(
    dev_gateway,
):
    # given: two consult orders a while ago; one consult then withdrawn (its settle lost)
    waiting = awaiting_consult()
    withdrawn = awaiting_consult()
    kept = consult_order(waiting, "dev")
    lost = consult_order(withdrawn, "dev")
    Consult.objects.filter(pk=withdrawn.pk).update(status=Consult.Status.CLOSED)
    PaymentOrder.objects.update(created_at=timezone.now() - datetime.timedelta(hours=1))

    # when
    closed = orders_settle_abandoned()

    # then
    assert closed == 1
    kept.refresh_from_db()
    lost.refresh_from_db()
    assert (kept.status, lost.status) == ("created", "closed")


def test_an_unpaid_consult_paid_at_the_channel_is_not_expired(wechatpay, settings):
    # given: paid at WeChat Pay, the notification not (yet) received
    settings.CONSULT_PAYMENT_MINUTES = 30
    consult = awaiting_consult(fee=3000)
    order = consult_order(consult, "wechat")
    wechatpay.pay(order.out_trade_no, total=order.amount)

    # when: the expiry asks the channel first
    later = timezone.now() + datetime.timedelta(minutes=31)
    with time_machine.travel(later):
        assert unpaid_consults_expire() == 0

    # then
    order.refresh_from_db()
    assert order.status == "paid"
    consult.refresh_from_db()
    assert consult.status == Consult.Status.WAITING


def test_the_admin_lists_consult_orders_with_their_kind_and_patient(
    admin_client, dev_gateway
):
    # given
    consult = awaiting_consult()
    order = consult_order(consult, "dev")
    consult_close(actor=ACTOR, consult=consult, by="patient")

    # when
    html = admin_client.get(reverse("admin:billing_paymentorder_changelist")).content
    detail = admin_client.get(
        reverse("admin:billing_paymentorder_change", args=[order.pk])
    )

    # then
    text = html.decode()
    assert order.out_trade_no in text
    assert consult.profile.name in text
    assert detail.status_code == 200


def test_the_refund_admin_lists_a_consult_refund(admin_client, dev_gateway):
    # given
    consult = awaiting_consult(fee=3000)
    order = consult_order(consult, "dev")
    payment_order_mark_paid(
        order=order,
        transaction_id="T-1",
        amount=3000,
        paid_at=timezone.now(),
        actor=ACTOR,
    )
    consult_close(actor=ACTOR, consult=consult, by="patient")

    # when
    response = admin_client.get(reverse("admin:billing_refund_changelist"))

    # then
    assert response.status_code == 200
    text = response.content.decode()
    assert consult.profile.name in text
    assert Refund.objects.get().kind == "consult_cancel"


@pytest.mark.clock
def test_reconciliation_matches_a_consult_order_with_the_bill(wechatpay):
    # given: the day's business, with the bill's order D a consult's
    orders = the_days_business("wechat")
    PaymentOrder.objects.filter(pk=orders["B"].pk).update(amount=1400)
    PaymentOrder.objects.filter(pk=orders["C"].pk).update(
        paid_at=at(12, 0, datetime.date(2024, 5, 3))
    )
    order = consult_order(awaiting_consult(fee=1000), "wechat")
    PaymentOrder.objects.filter(pk=order.pk).update(
        out_trade_no="P20240501111500DDDDDDDDD4"
    )
    order.refresh_from_db()
    payment_order_mark_paid(
        order=order,
        transaction_id="T-D",
        amount=1000,
        paid_at=at(11, 15),
        actor=ACTOR,
    )

    # when
    out, _ = reconcile("wechat", WECHAT_BILL)

    # then
    assert out.startswith("wechat 2024-05-01: 4 matched, 0 missing here, 0 missing at")
