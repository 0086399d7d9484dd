"""WeChat Pay on a web page outside WeChat: Native orders (a QR code of `code_url`).

The real SDK talks to the fake WeChat Pay server; the notification of a Native payment
confirms the booking through the same path as a JSAPI one.
"""

import json

import pytest
from django.urls import reverse

from appointments.models import Appointment
from billing.errors import ErrorCode
from billing.models import PaymentOrder
from billing.services import wechatpay_notification_handle
from billing.services.orders import payment_order_open, payment_order_pay_params
from billing.wechatpay import get_client
from common.errors import Conflict, Unprocessable
from common.services import Actor
from tests.billing.conftest import WECHATPAY_APPID, WECHATPAY_MCHID
from tests.billing.factories import pending_appointment

pytestmark = [pytest.mark.django_db, pytest.mark.clock]
ACTOR = Actor.system()
WEB = PaymentOrder.Scene.WEB


def test_native_prepay_sends_no_payer_and_returns_the_code_url(wechatpay):
    # when
    code_url = get_client().native_prepay(
        out_trade_no="P20240101000000NATV", description="挂号费 张医生", total=2000
    )

    # then
    [request] = wechatpay.requests_to("POST", "/v3/pay/transactions/native")
    assert request.authorized is True
    sent = json.loads(request.body)
    assert sent == {
        "notify_url": "https://pay.example.test/api/v1/billing/notify/wechat/",
        "description": "挂号费 张医生",
        "out_trade_no": "P20240101000000NATV",
        "amount": {"total": 2000, "currency": "CNY"},
        "appid": WECHATPAY_APPID,
        "mchid": WECHATPAY_MCHID,
    }
    assert code_url == wechatpay.trades["P20240101000000NATV"]["code_url"]
    assert code_url.startswith("weixin://wxpay/bizpayurl?pr=")


def test_a_web_order_needs_no_wechat_login_and_pays_by_its_code_url(wechatpay):
    # given a patient who logged in by SMS (no openid)
    appointment = pending_appointment(fee=2000, openid=False)

    # when the order is opened for a web page
    order = payment_order_open(
        appointment=appointment, channel="wechat", actor=ACTOR, scene=WEB
    )
    params = payment_order_pay_params(order=order)

    # then the page gets the code_url, kept on the order for a retry
    order.refresh_from_db()
    assert order.scene == WEB
    assert params == {"code_url": wechatpay.trades[order.out_trade_no]["code_url"]}
    assert order.prepay_id == params["code_url"]
    assert payment_order_pay_params(order=order) == params
    assert len(wechatpay.requests_to("POST", "/v3/pay/transactions/native")) == 1

    # and WeChat's notification of the scanned payment confirms the booking
    headers, body = wechatpay.notification(
        wechatpay.pay(order.out_trade_no, total=order.amount)
    )
    wechatpay_notification_handle(headers=headers, body=body, actor=ACTOR)
    order.refresh_from_db()
    appointment.refresh_from_db()
    assert order.status == PaymentOrder.Status.PAID
    assert appointment.status == Appointment.Status.BOOKED


def test_an_open_mini_program_order_is_not_reused_on_the_web(wechatpay):
    # given a WeChat Pay order started in the mini-program
    appointment = pending_appointment(fee=2000)
    payment_order_open(appointment=appointment, channel="wechat", actor=ACTOR)

    # when the web asks for one
    with pytest.raises(Conflict) as refused:
        payment_order_open(
            appointment=appointment, channel="wechat", actor=ACTOR, scene=WEB
        )

    # then it is refused and nothing else is opened
    assert refused.value.code == ErrorCode.ORDER_OPEN_ELSEWHERE
    assert PaymentOrder.objects.count() == 1


def test_the_mini_program_scene_still_needs_the_wechat_login(wechatpay):
    appointment = pending_appointment(fee=2000, openid=False)

    with pytest.raises(Unprocessable) as refused:
        payment_order_open(appointment=appointment, channel="wechat", actor=ACTOR)

    assert refused.value.code == ErrorCode.WECHAT_LOGIN_REQUIRED
    assert PaymentOrder.objects.count() == 0


def test_the_api_opens_a_web_order_and_answers_its_code_url(api_client, wechatpay):
    appointment = pending_appointment(fee=2000, openid=False)
    api_client.force_authenticate(appointment.user)

    response = api_client.post(
        reverse("api:billing:order-create"),
        {"appointment_id": appointment.pk, "channel": "wechat", "scene": "web"},
        format="json",
    )

    assert response.status_code == 201
    order = PaymentOrder.objects.get()
    assert response.json()["pay_params"] == {"code_url": order.prepay_id}


def test_an_unknown_scene_is_a_400(api_client, wechatpay):
    appointment = pending_appointment(fee=2000)
    api_client.force_authenticate(appointment.user)

    response = api_client.post(
        reverse("api:billing:order-create"),
        {"appointment_id": appointment.pk, "channel": "wechat", "scene": "tv"},
        format="json",
    )

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["scene"]
    assert PaymentOrder.objects.count() == 0
