"""WeChat Pay in the portal: a Native order's QR code (the browser has no WeChat login)."""

import pytest
from django.urls import reverse

from appointments.models import Appointment
from billing.models import PaymentOrder
from billing.services import wechatpay_notification_handle
from common.services import Actor
from tests.billing.factories import pending_appointment
from tests.portal.conftest import signed_in

pytestmark = [pytest.mark.django_db, pytest.mark.clock]


def test_a_patient_without_wechat_login_pays_by_scanning_the_qr_code(wechatpay):
    # given a booking of a patient who logged in by SMS
    appointment = pending_appointment(fee=2500, openid=False)
    client = signed_in(appointment.user)

    # when they choose WeChat Pay
    response = client.post(
        reverse("portal:pay", args=[appointment.pk]), {"channel": "wechat"}
    )

    # then a Native order is opened and its QR code shown
    order = PaymentOrder.objects.get()
    assert order.scene == PaymentOrder.Scene.WEB
    assert response.url == reverse("portal:wechat-pay", args=[order.pk])
    page = client.get(response.url)
    assert page.status_code == 200
    body = page.content.decode()
    assert "<title>WeChat Pay QR code</title>" in body
    assert "¥25.00" in body
    assert len(wechatpay.requests_to("POST", "/v3/pay/transactions/native")) == 1

    # and once WeChat reports the payment, the page leads to the paid booking
    headers, body = wechatpay.notification(
        wechatpay.pay(order.out_trade_no, total=order.amount)
    )
    wechatpay_notification_handle(headers=headers, body=body, actor=Actor.system())
    again = client.get(reverse("portal:wechat-pay", args=[order.pk]))
    assert again.url == reverse("portal:appointment", args=[appointment.pk])
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.BOOKED


def test_the_qr_page_of_another_users_order_is_404(wechatpay):
    appointment = pending_appointment(fee=2500, openid=False)
    signed_in(appointment.user).post(
        reverse("portal:pay", args=[appointment.pk]), {"channel": "wechat"}
    )
    order = PaymentOrder.objects.get()
    intruder = signed_in(pending_appointment(openid=False).user)

    response = intruder.get(reverse("portal:wechat-pay", args=[order.pk]))

    assert response.status_code == 404


def test_wechat_pay_is_offered_only_where_configured(wechatpay, settings):
    appointment = pending_appointment(fee=2500, openid=False)
    client = signed_in(appointment.user)
    url = reverse("portal:pay", args=[appointment.pk])
    assert 'value="wechat"' in client.get(url).content.decode()

    settings.WECHATPAY_MCHID = ""

    assert 'value="wechat"' not in client.get(url).content.decode()
