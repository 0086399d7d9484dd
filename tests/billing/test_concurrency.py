"""Real threads against the real engine: run on MariaDB/MySQL (CI), skipped on SQLite.

Each thread has its own connection and transaction, so the row locks, the conditional
UPDATE and the unique ledger key are what make 20 copies of a notification credit once.
"""

import pytest
from django.test import Client
from django.urls import reverse

from appointments.models import Appointment
from billing.models import PaymentLedgerEntry, PaymentOrder
from common.models import OperationLog
from tests.billing.factories import open_order
from tests.race import needs_row_locks, run_at_once

pytestmark = [
    pytest.mark.clock,
    pytest.mark.concurrency,
    pytest.mark.django_db(transaction=True),
    needs_row_locks,
]

COPIES = 20


def assert_credited_once(order: PaymentOrder) -> None:
    order.refresh_from_db()
    assert order.status == PaymentOrder.Status.PAID
    assert PaymentLedgerEntry.objects.filter(order=order).count() == 1
    assert OperationLog.objects.filter(action="billing.order_paid").count() == 1
    assert OperationLog.objects.filter(action="appointment.booked").count() == 1
    order.appointment.refresh_from_db()
    assert order.appointment.status == Appointment.Status.BOOKED


def test_twenty_concurrent_copies_of_a_wechat_notification_credit_once(wechatpay):
    # given
    order = open_order(channel="wechat")
    headers, body = wechatpay.notification(
        wechatpay.pay(order.out_trade_no, total=order.amount)
    )
    url = reverse("api:billing:notify-wechat")

    # when
    def deliver() -> int:
        return (
            Client()
            .generic(
                "POST", url, data=body, content_type="application/json", headers=headers
            )
            .status_code
        )

    statuses = run_at_once([deliver] * COPIES)

    # then
    assert statuses == [204] * COPIES
    assert_credited_once(order)


def test_twenty_concurrent_copies_of_an_alipay_notification_credit_once(alipay):
    # given
    order = open_order(channel="alipay")
    params = alipay.notification(alipay.pay(order.out_trade_no, total_amount="20.00"))
    url = reverse("api:billing:notify-alipay")

    # when
    answers = run_at_once([lambda: Client().post(url, params).content] * COPIES)

    # then
    assert answers == [b"success"] * COPIES
    assert_credited_once(order)
