"""Alipay in the portal: mobile web pay (alipay.trade.wap.pay), the SDK's signed URL."""

import json
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from appointments.models import Appointment
from billing.models import PaymentOrder
from billing.services.notifications import alipay_notification_handle
from common.services import Actor
from tests.billing.factories import pending_appointment
from tests.portal.conftest import signed_in

pytestmark = [pytest.mark.django_db, pytest.mark.clock]


def test_alipay_sends_the_patient_to_the_mobile_cashier_and_the_notice_confirms(
    alipay, settings
):
    # given a booking awaiting payment, and where Alipay sends the patient back
    settings.ALIPAY_RETURN_URL = "https://h.example.test/h5/appointments/"
    appointment = pending_appointment(fee=2500, openid=False)
    client = signed_in(appointment.user)

    # when the patient chooses Alipay
    response = client.post(
        reverse("portal:pay", args=[appointment.pk]), {"channel": "alipay"}
    )

    # then they are sent to Alipay's cashier with a signed wap.pay request for this order
    order = PaymentOrder.objects.get()
    assert order.scene == PaymentOrder.Scene.WEB
    assert response.status_code == 302
    target = urlsplit(response.url)
    assert response.url.startswith(alipay.gateway_url + "?")
    query = parse_qs(target.query)
    assert query["method"] == ["alipay.trade.wap.pay"]
    assert query["return_url"] == [settings.ALIPAY_RETURN_URL]
    biz = json.loads(query["biz_content"][0])
    assert (biz["out_trade_no"], biz["total_amount"]) == (order.out_trade_no, "25.00")
    assert query["sign"][0]

    # and Alipay's notification of the payment confirms the booking
    params = alipay.notification(alipay.pay(order.out_trade_no, total_amount="25.00"))
    alipay_notification_handle(params=params, actor=Actor.system())
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.BOOKED
