"""The patient payment API and the channels' notification endpoints."""

import pytest
from django.urls import reverse

from appointments.models import Appointment
from billing.models import PaymentLedgerEntry, PaymentOrder
from tests.appointments.factories import PatientProfileFactory
from tests.billing.factories import open_order, pending_appointment

pytestmark = [pytest.mark.django_db, pytest.mark.clock]

CREATE = reverse("api:billing:order-create")


def detail(order_id: int) -> str:
    return reverse("api:billing:order-detail", args=[order_id])


def dev_pay(order_id: int) -> str:
    return reverse("api:billing:order-dev-pay", args=[order_id])


def test_creating_an_order_answers_the_order_and_its_pay_params(api_client, wechatpay):
    # given
    appointment = pending_appointment(fee=2000)
    api_client.force_authenticate(appointment.user)

    # when
    response = api_client.post(
        CREATE, {"appointment_id": appointment.pk, "channel": "wechat"}, format="json"
    )

    # then
    assert response.status_code == 201
    body = response.json()
    order = PaymentOrder.objects.get()
    assert body["id"] == order.pk
    assert body["appointment_id"] == appointment.pk
    assert body["status"] == "created"
    assert body["amount"] == 2000
    assert body["refunds"] == []
    assert body["pay_params"]["package"] == f"prepay_id={order.prepay_id}"
    assert set(body["pay_params"]) == {
        "timeStamp",
        "nonceStr",
        "package",
        "signType",
        "paySign",
    }


def test_creating_an_order_for_someone_elses_appointment_answers_404(
    api_client, dev_gateway
):
    # given
    appointment = pending_appointment()
    api_client.force_authenticate(PatientProfileFactory().user)

    # when
    response = api_client.post(
        CREATE, {"appointment_id": appointment.pk, "channel": "dev"}, format="json"
    )

    # then
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "appointment_not_found"
    assert PaymentOrder.objects.exists() is False


def test_creating_an_order_for_a_paid_appointment_answers_409(api_client, dev_gateway):
    # given
    appointment = pending_appointment()
    Appointment.objects.filter(pk=appointment.pk).update(
        status=Appointment.Status.BOOKED, hold_expires_at=None
    )
    api_client.force_authenticate(appointment.user)

    # when
    response = api_client.post(
        CREATE, {"appointment_id": appointment.pk, "channel": "dev"}, format="json"
    )

    # then
    assert response.status_code == 409
    assert response.json() == {
        "error": {
            "code": "appointment_not_payable",
            "message": "This appointment is not awaiting payment.",
            "fields": {},
        }
    }
    assert PaymentOrder.objects.exists() is False


def test_an_idempotency_key_replays_the_same_order(api_client, dev_gateway):
    # given
    appointment = pending_appointment()
    api_client.force_authenticate(appointment.user)
    payload = {"appointment_id": appointment.pk, "channel": "dev"}

    # when
    first = api_client.post(CREATE, payload, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    second = api_client.post(CREATE, payload, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    other = api_client.post(
        CREATE,
        {"appointment_id": appointment.pk, "channel": "wechat"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k-1",
    )

    # then
    assert first.status_code == second.status_code == 201
    assert second.json()["id"] == first.json()["id"]
    assert second["Idempotent-Replayed"] == "true"
    assert other.status_code == 422
    assert other.json()["error"]["code"] == "idempotency_key_reused"
    assert PaymentOrder.objects.count() == 1


def test_order_detail_shows_only_the_users_own_orders(api_client, dev_gateway):
    # given
    order = open_order(channel="dev")
    stranger = PatientProfileFactory().user

    # when
    api_client.force_authenticate(order.user)
    own = api_client.get(detail(order.pk))
    api_client.force_authenticate(stranger)
    foreign = api_client.get(detail(order.pk))

    # then
    assert own.status_code == 200
    assert own.json()["out_trade_no"] == order.out_trade_no
    assert foreign.status_code == 404
    assert foreign.json()["error"]["code"] == "payment_order_not_found"


def test_the_api_needs_a_login(api_client):
    assert api_client.get(detail(1)).status_code == 401
    assert api_client.post(CREATE, {}, format="json").status_code == 401


def test_dev_pay_pays_the_users_own_order(api_client, dev_gateway):
    # given
    order = open_order(channel="dev")
    api_client.force_authenticate(order.user)

    # when
    response = api_client.post(dev_pay(order.pk))

    # then
    assert response.status_code == 200
    assert response.json()["status"] == "paid"
    order.appointment.refresh_from_db()
    assert order.appointment.status == Appointment.Status.BOOKED


def test_dev_pay_of_someone_elses_order_answers_404(api_client, dev_gateway):
    # given
    order = open_order(channel="dev")
    api_client.force_authenticate(PatientProfileFactory().user)

    # when
    response = api_client.post(dev_pay(order.pk))

    # then
    assert response.status_code == 404
    order.refresh_from_db()
    assert order.status == "created"


def test_dev_pay_answers_404_when_the_dev_gateway_is_off(
    api_client, dev_gateway, settings
):
    # given
    order = open_order(channel="dev")
    settings.PAYMENTS_DEV_GATEWAY = False
    api_client.force_authenticate(order.user)

    # when
    response = api_client.post(dev_pay(order.pk))

    # then
    assert response.status_code == 404
    order.refresh_from_db()
    assert order.status == "created"


def test_channels_lists_the_enabled_channels(api_client, alipay, dev_gateway):
    api_client.force_authenticate(PatientProfileFactory().user)

    response = api_client.get(reverse("api:billing:channels"))

    assert response.json() == {"channels": ["alipay", "dev"]}


# -- notification endpoints --------------------------------------------------------------


def post_wechat(client, headers: dict, body: bytes, name: str = "notify-wechat"):
    return client.generic(
        "POST",
        reverse(f"api:billing:{name}"),
        data=body,
        content_type="application/json",
        headers=headers,
    )


def test_the_wechat_endpoint_answers_204_without_a_body_when_handled(client, wechatpay):
    # given: no login, no CSRF token: the channel calls us
    order = open_order(channel="wechat")
    headers, body = wechatpay.notification(
        wechatpay.pay(order.out_trade_no, total=order.amount)
    )

    # when
    response = post_wechat(client, headers, body)

    # then
    assert response.status_code == 204
    assert response.content == b""
    order.refresh_from_db()
    assert order.status == "paid"


def test_the_wechat_endpoint_answers_fail_when_verification_fails(client, wechatpay):
    # given
    order = open_order(channel="wechat")
    headers, body = wechatpay.notification(
        wechatpay.pay(order.out_trade_no, total=order.amount),
        signature="WECHATPAY/SIGNTEST/AAAA",
    )

    # when
    response = post_wechat(client, headers, body)

    # then
    assert response.status_code == 401
    assert response.json() == {
        "code": "FAIL",
        "message": "probe signature",
        "error": {
            "code": "notification_rejected",
            "message": "probe signature",
            "fields": {},
        },
    }
    order.refresh_from_db()
    assert order.status == "created"
    assert PaymentLedgerEntry.objects.exists() is False


def test_the_wechat_endpoint_answers_fail_for_an_unknown_order(client, wechatpay):
    # given
    headers, body = wechatpay.notification(wechatpay.pay("P-NOT-OURS", total=100))

    # when
    response = post_wechat(client, headers, body)

    # then
    assert response.status_code == 400
    assert response.json()["code"] == "FAIL"
    assert response.json()["message"] == "unknown out_trade_no"
    assert response.json()["error"]["code"] == "notification_rejected"
    assert PaymentOrder.objects.exists() is False


def test_the_wechat_endpoint_refuses_everything_when_wechat_pay_is_off(client):
    response = post_wechat(client, {}, b"{}")

    assert response.status_code == 404
    assert response.json()["code"] == "FAIL"


def test_the_wechat_endpoint_refuses_get(client):
    assert client.get(reverse("api:billing:notify-wechat")).status_code == 405


def test_the_alipay_endpoint_answers_success_when_handled(client, alipay):
    # given
    order = open_order(channel="alipay")
    params = alipay.notification(alipay.pay(order.out_trade_no, total_amount="20.00"))

    # when
    response = client.post(reverse("api:billing:notify-alipay"), params)

    # then
    assert response.status_code == 200
    assert response.content == b"success"
    assert response["Content-Type"].startswith("text/plain")
    order.refresh_from_db()
    assert order.status == "paid"


def test_the_alipay_endpoint_answers_fail_when_verification_fails(client, alipay):
    # given
    order = open_order(channel="alipay")
    params = alipay.notification(alipay.pay(order.out_trade_no, total_amount="20.00"))
    params["sign"] = params["sign"][::-1]

    # when
    response = client.post(reverse("api:billing:notify-alipay"), params)

    # then
    assert response.status_code == 400
    assert response.content == b"fail"
    order.refresh_from_db()
    assert order.status == "created"
