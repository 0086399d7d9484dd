"""Refunds: one entry point for bookings, never twice, never more than was paid."""

import datetime

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from appointments.models import Appointment
from appointments.services import appointment_cancel, session_stop
from billing.models import PaymentLedgerEntry, PaymentOrder, Refund
from billing.services.notifications import (
    alipay_notification_handle,
    wechatpay_notification_handle,
)
from billing.services.refunds import (
    appointment_refund_request,
    refund_create,
    refund_create_by_staff,
    refund_kind_for_reason,
    refund_retry,
)
from billing.tasks import (
    REFUND_MAX_RETRIES,
    orders_settle_abandoned,
    refunds_sync_pending,
)
from billing.tasks import refund_submit as refund_submit_task
from billing.wechatpay import NotificationRejected
from common.errors import Conflict, Unprocessable
from common.models import OperationLog
from common.services import Actor
from tests.billing.factories import open_order, paid_order, pending_appointment

pytestmark = [pytest.mark.django_db, pytest.mark.clock]

ACTOR = Actor.system()
OS = PaymentOrder.Status
RS = Refund.Status


def assert_nothing_refunded(
    order: PaymentOrder, *, refunded: int = 0, refunds: int = 0
):
    order.refresh_from_db()
    assert order.refunded_amount == refunded
    assert Refund.objects.filter(order=order).count() == refunds


def test_nothing_paid_means_no_refund(dev_gateway):
    # given
    appointment = pending_appointment()
    open_order(channel="dev", appointment=appointment)

    # when
    refund = appointment_refund_request(
        appointment=appointment, actor=ACTOR, reason="cancel:patient"
    )

    # then
    assert refund is None
    assert Refund.objects.exists() is False


def test_cancelling_a_paid_appointment_refunds_it_at_wechat_pay(
    wechatpay, django_capture_on_commit_callbacks
):
    # given
    order = paid_order("wechat", wechatpay, fee=2600)

    # when: the booking side cancels, and its transaction commits
    with django_capture_on_commit_callbacks(execute=True):
        appointment_cancel(actor=ACTOR, appointment=order.appointment, reason="有事")

    # then
    [refund] = Refund.objects.all()
    assert refund.kind == Refund.Kind.CANCEL
    assert refund.reason == "cancel:patient"
    assert refund.out_refund_no == f"{order.out_trade_no}-cancel"
    assert refund.amount == 2600
    assert refund.status == RS.SUCCEEDED
    assert refund.attempts == 1
    assert (
        refund.channel_refund_id == wechatpay.refunds[refund.out_refund_no]["refund_id"]
    )
    assert wechatpay.refunds[refund.out_refund_no]["refund"] == 2600
    order.refresh_from_db()
    assert order.status == OS.REFUNDED
    assert order.refunded_amount == 2600
    ledger = PaymentLedgerEntry.objects.get(kind="refund")
    assert (ledger.amount, ledger.refund_id) == (2600, refund.pk)
    actions = set(OperationLog.objects.values_list("action", flat=True))
    assert {
        "billing.refund_request",
        "billing.order_refunding",
        "billing.refund_succeeded",
        "billing.order_refunded",
    } <= actions


def test_stopping_a_clinic_refunds_its_paid_appointments_at_alipay(
    alipay, django_capture_on_commit_callbacks
):
    # given
    order = paid_order("alipay", alipay, fee=1500)

    # when
    with django_capture_on_commit_callbacks(execute=True):
        session_stop(actor=ACTOR, session=order.appointment.session, reason="医生出差")

    # then
    [refund] = Refund.objects.all()
    assert (refund.kind, refund.amount, refund.status) == (
        "stop_clinic",
        1500,
        RS.SUCCEEDED,
    )
    assert alipay.trades[order.out_trade_no]["refunds"] == {
        refund.out_refund_no: "15.00"
    }
    order.refresh_from_db()
    assert order.status == OS.REFUNDED


def test_asking_again_returns_the_same_refund_and_pays_it_once(
    wechatpay, django_capture_on_commit_callbacks
):
    # given
    order = paid_order("wechat", wechatpay)

    # when
    with django_capture_on_commit_callbacks(execute=True):
        first = appointment_refund_request(
            appointment=order.appointment, actor=ACTOR, reason="cancel:staff"
        )
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        again = appointment_refund_request(
            appointment=order.appointment, actor=ACTOR, reason="cancel:patient"
        )

    # then
    assert again.pk == first.pk
    assert callbacks == []  # nothing sent the second time
    assert len(wechatpay.requests_to("POST", "/v3/refund/domestic/refunds")) == 1
    assert_nothing_refunded(order, refunded=2000, refunds=1)


def test_a_second_refund_of_the_same_order_is_refused_and_changes_nothing(dev_gateway):
    # given: refunded in full on cancel
    order = paid_order("dev")
    appointment_refund_request(
        appointment=order.appointment, actor=ACTOR, reason="cancel:patient"
    )

    # when: staff try to refund it again
    with pytest.raises(Conflict) as excinfo:
        refund_create_by_staff(order=order, actor=ACTOR)

    # then
    assert excinfo.value.code == "nothing_to_refund"
    assert_nothing_refunded(order, refunded=2000, refunds=1)
    # and the booking side gets None rather than a second refund
    assert (
        appointment_refund_request(
            appointment=order.appointment, actor=ACTOR, reason="stop_clinic"
        )
        is None
    )
    assert_nothing_refunded(order, refunded=2000, refunds=1)


def test_the_same_kind_of_refund_twice_is_refused_by_the_service(dev_gateway):
    # given
    order = paid_order("dev")
    refund_create(order=order, actor=ACTOR, kind="staff", reason="x", amount=500)

    # when
    with pytest.raises(Conflict) as excinfo:
        refund_create(order=order, actor=ACTOR, kind="staff", reason="x", amount=500)

    # then
    assert excinfo.value.code == "refund_already_requested"
    assert_nothing_refunded(order, refunded=500, refunds=1)


def test_a_refund_larger_than_the_payment_is_refused_and_changes_nothing(dev_gateway):
    # given
    order = paid_order("dev", fee=2000)
    refund_create(order=order, actor=ACTOR, kind="staff", reason="x", amount=1500)

    # when
    with pytest.raises(Unprocessable) as excinfo:
        refund_create(
            order=order, actor=ACTOR, kind="cancel", reason="cancel:patient", amount=501
        )

    # then
    assert excinfo.value.code == "refund_exceeds_payment"
    assert_nothing_refunded(order, refunded=1500, refunds=1)


def test_the_database_refuses_refunds_beyond_the_payment(dev_gateway):
    # given
    order = paid_order("dev", fee=2000)

    # when / then
    with pytest.raises(IntegrityError), transaction.atomic():
        PaymentOrder.objects.filter(pk=order.pk).update(refunded_amount=2001)
    assert_nothing_refunded(order)


def test_refunding_an_unpaid_order_is_refused(dev_gateway):
    # given
    order = open_order(channel="dev")

    # when / then
    with pytest.raises(Conflict) as excinfo:
        refund_create_by_staff(order=order, actor=ACTOR)
    assert excinfo.value.code == "order_not_paid"
    assert_nothing_refunded(order)


def test_a_partial_refund_leaves_the_order_partially_refunded(
    dev_gateway, django_capture_on_commit_callbacks
):
    # given
    order = paid_order("dev", fee=2000)

    # when
    with django_capture_on_commit_callbacks(execute=True):
        refund = refund_create(
            order=order, actor=ACTOR, kind="staff", reason="部分退款", amount=800
        )

    # then
    refund.refresh_from_db()
    order.refresh_from_db()
    assert refund.status == RS.SUCCEEDED
    assert order.status == OS.PARTIALLY_REFUNDED
    assert order.refunded_amount == 800
    assert order.refundable_amount == 1200


# -- asynchronous outcomes ---------------------------------------------------------------


def test_a_processing_wechat_refund_completes_on_its_notification(
    wechatpay, client, django_capture_on_commit_callbacks
):
    # given: WeChat accepts the refund but has not paid it out yet
    wechatpay.refund_status = "PROCESSING"
    order = paid_order("wechat", wechatpay)
    with django_capture_on_commit_callbacks(execute=True):
        refund = appointment_refund_request(
            appointment=order.appointment, actor=ACTOR, reason="cancel:patient"
        )
    refund.refresh_from_db()
    assert refund.status == RS.REFUNDING
    assert (
        refund.channel_refund_id == wechatpay.refunds[refund.out_refund_no]["refund_id"]
    )

    # when: WeChat notifies the refund endpoint
    wechatpay.refunds[refund.out_refund_no]["status"] = "SUCCESS"
    headers, body = wechatpay.notification(
        wechatpay.refund_resource(refund.out_refund_no),
        event_type="REFUND.SUCCESS",
        original_type="refund",
    )
    response = client.generic(
        "POST",
        reverse("api:billing:notify-wechat-refund"),
        data=body,
        content_type="application/json",
        headers=headers,
    )

    # then
    assert response.status_code == 204
    refund.refresh_from_db()
    order.refresh_from_db()
    assert refund.status == RS.SUCCEEDED
    assert order.status == OS.REFUNDED
    assert PaymentLedgerEntry.objects.filter(kind="refund").count() == 1


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"amount": {"total": 2000, "refund": 1999}}, "amount does not match"),
        ({"out_refund_no": "P-UNKNOWN-cancel"}, "unknown out_refund_no"),
        ({"mchid": "1900000999"}, "mchid does not match"),
    ],
    ids=["wrong-amount", "unknown-refund", "wrong-mchid"],
)
def test_a_refund_notification_not_matching_changes_nothing(
    wechatpay, django_capture_on_commit_callbacks, changes, reason
):
    # given
    wechatpay.refund_status = "PROCESSING"
    order = paid_order("wechat", wechatpay)
    with django_capture_on_commit_callbacks(execute=True):
        refund = appointment_refund_request(
            appointment=order.appointment, actor=ACTOR, reason="cancel:patient"
        )
    resource = {**wechatpay.refund_resource(refund.out_refund_no), "status": "SUCCESS"}
    headers, body = wechatpay.notification(
        {**resource, **changes}, event_type="REFUND.SUCCESS", original_type="refund"
    )

    # when
    with pytest.raises(NotificationRejected) as excinfo:
        wechatpay_notification_handle(headers=headers, body=body, actor=ACTOR)

    # then
    assert excinfo.value.reason == reason
    refund.refresh_from_db()
    assert refund.status == RS.REFUNDING
    assert PaymentLedgerEntry.objects.filter(kind="refund").exists() is False


def test_the_sync_task_completes_refunds_the_channel_finished(
    wechatpay, django_capture_on_commit_callbacks
):
    # given: a refund still processing, sent a while ago
    wechatpay.refund_status = "PROCESSING"
    order = paid_order("wechat", wechatpay)
    with django_capture_on_commit_callbacks(execute=True):
        refund = appointment_refund_request(
            appointment=order.appointment, actor=ACTOR, reason="cancel:patient"
        )
    Refund.objects.filter(pk=refund.pk).update(
        submitted_at=timezone.now() - datetime.timedelta(minutes=6)
    )
    wechatpay.refunds[refund.out_refund_no]["status"] = "SUCCESS"

    # when
    asked = refunds_sync_pending()

    # then
    assert asked == 1
    refund.refresh_from_db()
    assert refund.status == RS.SUCCEEDED


def test_a_refund_the_channel_refuses_fails_visibly_and_staff_can_retry_it(
    wechatpay, django_capture_on_commit_callbacks
):
    # given: WeChat answers the refund as ABNORMAL (e.g. the payer's card was closed)
    wechatpay.refund_status = "ABNORMAL"
    order = paid_order("wechat", wechatpay)
    with django_capture_on_commit_callbacks(execute=True):
        refund = appointment_refund_request(
            appointment=order.appointment, actor=ACTOR, reason="cancel:patient"
        )
    refund.refresh_from_db()
    assert refund.status == RS.FAILED
    assert refund.failure_reason == "ABNORMAL"
    order.refresh_from_db()
    assert order.status == OS.REFUNDING  # the money stays reserved for this refund
    assert order.refunded_amount == 2000

    # when: the channel sorted it out and staff retry
    wechatpay.refunds[refund.out_refund_no]["status"] = "SUCCESS"
    with django_capture_on_commit_callbacks(execute=True):
        refund_retry(refund=refund, actor=ACTOR)

    # then
    refund.refresh_from_db()
    order.refresh_from_db()
    assert refund.status == RS.SUCCEEDED
    assert refund.attempts == 2
    assert order.status == OS.REFUNDED
    assert OperationLog.objects.filter(action="billing.refund_retry").count() == 1


def test_only_failed_refunds_can_be_retried(dev_gateway):
    # given
    order = paid_order("dev")
    refund = refund_create_by_staff(order=order, actor=ACTOR)

    # when / then
    with pytest.raises(Conflict) as excinfo:
        refund_retry(refund=refund, actor=ACTOR)
    assert excinfo.value.code == "refund_not_failed"


def test_an_unreachable_channel_leaves_the_refund_to_be_sent_again(
    wechatpay, settings, django_capture_on_commit_callbacks
):
    # given
    order = paid_order("wechat", wechatpay)
    settings.WECHATPAY_API_BASE_URL = "http://127.0.0.1:9"

    # when: the cancel commits while WeChat Pay is unreachable
    with django_capture_on_commit_callbacks(execute=True):
        refund = appointment_refund_request(
            appointment=order.appointment, actor=ACTOR, reason="cancel:patient"
        )

    # then: still refunding, one attempt made
    refund.refresh_from_db()
    assert (refund.status, refund.attempts) == (RS.REFUNDING, 1)

    # when: WeChat Pay is back and the sync job runs a while later
    settings.WECHATPAY_API_BASE_URL = wechatpay.base_url
    Refund.objects.filter(pk=refund.pk).update(
        submitted_at=timezone.now() - datetime.timedelta(minutes=6)
    )
    refunds_sync_pending()

    # then
    refund.refresh_from_db()
    assert (refund.status, refund.attempts) == (RS.SUCCEEDED, 2)
    assert wechatpay.refunds[refund.out_refund_no]["refund"] == 2000


def test_the_last_retry_against_an_unreachable_channel_marks_the_refund_failed(
    wechatpay, settings
):
    # given
    order = paid_order("wechat", wechatpay)
    refund = refund_create_by_staff(order=order, actor=ACTOR)  # not sent yet
    settings.WECHATPAY_API_BASE_URL = "http://127.0.0.1:9"

    # when: the task's last retry
    refund_submit_task.apply(args=[refund.pk], retries=REFUND_MAX_RETRIES)

    # then
    refund.refresh_from_db()
    assert refund.status == RS.FAILED
    assert refund.failure_reason.startswith("channel unavailable")
    assert OperationLog.objects.filter(action="billing.refund_failed").count() == 1


def test_an_alipay_refund_notification_confirms_the_refund(
    alipay, django_capture_on_commit_callbacks
):
    # given: the synchronous answer was lost, the refund is still refunding here
    order = paid_order("alipay", alipay)
    refund = refund_create_by_staff(order=order, actor=ACTOR)  # not submitted
    alipay.trades[order.out_trade_no]["refunds"][refund.out_refund_no] = "20.00"
    params = alipay.notification(
        {
            **alipay.pay(order.out_trade_no, total_amount="20.00"),
            "trade_status": "TRADE_CLOSED",
            "out_biz_no": refund.out_refund_no,
            "refund_fee": "20.00",
            "gmt_refund": "2024-05-01 10:00:00.000",
        }
    )

    # when
    alipay_notification_handle(params=params, actor=ACTOR)

    # then
    refund.refresh_from_db()
    order.refresh_from_db()
    assert refund.status == RS.SUCCEEDED
    assert order.status == OS.REFUNDED


def test_unknown_reasons_share_one_refund_kind(dev_gateway):
    assert refund_kind_for_reason("cancel:patient") == "cancel"
    assert refund_kind_for_reason("stop_clinic") == "stop_clinic"
    assert refund_kind_for_reason("Weird Reason") == "other"
    assert refund_kind_for_reason("") == "other"


def test_the_booking_side_cancel_of_an_unpaid_appointment_requests_no_refund(
    dev_gateway,
):
    # given
    order = open_order(channel="dev")

    # when
    appointment_cancel(actor=ACTOR, appointment=order.appointment, reason="不去了")

    # then
    order.appointment.refresh_from_db()
    assert order.appointment.status == Appointment.Status.CANCELLED
    assert Refund.objects.exists() is False


def test_open_orders_of_cancelled_appointments_are_closed_by_the_cleanup_job(alipay):
    # given: the patient opened the cashier, then cancelled the unpaid appointment
    order = open_order(channel="alipay")
    alipay.open_trade(order.out_trade_no, total_amount="20.00")
    appointment_cancel(actor=ACTOR, appointment=order.appointment, reason="不去了")
    still_pending = open_order(channel="alipay")

    # when
    closed = orders_settle_abandoned()

    # then
    assert closed == 1
    order.refresh_from_db()
    still_pending.refresh_from_db()
    assert order.status == OS.CLOSED
    assert alipay.trades[order.out_trade_no]["trade_status"] == "TRADE_CLOSED"
    assert still_pending.status == OS.CREATED


def test_a_payment_that_raced_a_cancel_is_recorded_and_refunded_by_the_cleanup_job(
    alipay, django_capture_on_commit_callbacks
):
    # given: paid at Alipay just as the patient cancelled; the notification was lost
    order = open_order(channel="alipay")
    appointment_cancel(actor=ACTOR, appointment=order.appointment, reason="不去了")
    alipay.pay(order.out_trade_no, total_amount="20.00")

    # when
    with django_capture_on_commit_callbacks(execute=True):
        closed = orders_settle_abandoned()

    # then
    assert closed == 0
    order.refresh_from_db()
    assert order.status == OS.REFUNDED
    [refund] = order.refunds.all()
    assert refund.kind == Refund.Kind.LATE_PAYMENT
