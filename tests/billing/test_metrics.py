"""The channels' notifications counted in /metrics by channel and result."""

import pytest
from django.test import Client
from django.urls import reverse

from tests.billing.factories import open_order
from tests.metrics_helpers import TOKEN, scrape, value

pytestmark = [pytest.mark.django_db, pytest.mark.clock]

NOTIFY_ALIPAY = reverse("api:billing:notify-alipay")


@pytest.fixture(autouse=True)
def metrics_token(settings):
    settings.METRICS_TOKEN = TOKEN


def _alipay(samples: dict, result: str) -> float:
    return value(
        samples, "hospital_payment_notifications_total", channel="alipay", result=result
    )


def test_handled_and_rejected_alipay_notifications_are_counted(alipay):
    # given
    order = open_order(channel="alipay")
    params = alipay.notification(alipay.pay(order.out_trade_no, total_amount="20.00"))
    forged = dict(params, sign=params["sign"][::-1])
    before = scrape()

    # when
    rejected = Client().post(NOTIFY_ALIPAY, forged)
    handled = Client().post(NOTIFY_ALIPAY, params)

    # then
    assert (rejected.content, handled.content) == (b"fail", b"success")
    after = scrape()
    assert _alipay(after, "handled") - _alipay(before, "handled") == 1
    assert _alipay(after, "rejected") - _alipay(before, "rejected") == 1


def test_a_rejected_wechat_pay_notification_is_counted(client):
    # given: WeChat Pay not configured, so every notification is refused
    before = value(
        scrape(),
        "hospital_payment_notifications_total",
        channel="wechat",
        result="rejected",
    )

    # when
    response = client.generic(
        "POST",
        reverse("api:billing:notify-wechat"),
        data=b"{}",
        content_type="application/json",
    )

    # then
    assert response.status_code == 404
    after = value(
        scrape(),
        "hospital_payment_notifications_total",
        channel="wechat",
        result="rejected",
    )
    assert after - before == 1
