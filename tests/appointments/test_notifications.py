"""The notification outbox: written with its event, delivered through WeChat or SMS, swept.

WeChat and the SMS provider are local fake servers; the real wechatpy client and the real
"http" SMS backend talk to them.
"""

import datetime
import json
import logging

import pytest
import time_machine
from django.db import transaction

from appointments.models import Appointment, Notification, WaitlistEntry
from appointments.notifications.delivery import (
    DeliveryResult,
    notification_create,
    notification_deliver,
    notifications_sweep,
)
from appointments.services import (
    appointment_cancel,
    appointment_mark_paid,
    session_stop,
    waitlist_join,
)
from appointments.services.notify import appointment_notify
from billing.models import Refund
from billing.services import payment_order_dev_pay, payment_order_open
from tests.appointments.factories import PatientProfileFactory, PatientUserFactory
from tests.appointments.notification_helpers import (
    ACTOR,
    PROFILE_PHONE,
    appointment_at,
    at,
)

pytestmark = pytest.mark.django_db

N = Notification
# Monday 2026-03-09 07:00 in Shanghai; visits are on Wednesday.
NOW = at(2026, 3, 9, 7, 0)
VISIT = at(2026, 3, 11, 9, 30)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def seconds(n: int) -> datetime.timedelta:
    return datetime.timedelta(seconds=n)


def cancelled_appointment(**kwargs) -> Appointment:
    appointment = appointment_at(VISIT, **kwargs)
    appointment_cancel(actor=ACTOR, appointment=appointment, reason="改期")
    return appointment


# -- the outbox row ------------------------------------------------------------------------


def test_an_event_writes_its_notification_in_the_same_transaction():
    # when: the cancel commits (its on-commit callbacks are not run)
    appointment = cancelled_appointment()

    # then: the row is there, pending, before any delivery was attempted
    [notification] = N.objects.filter(event="cancelled")
    assert notification.user_id == appointment.user_id
    assert notification.appointment_id == appointment.pk
    assert notification.profile_id == appointment.profile_id
    assert notification.dedupe_key == f"appointment:{appointment.pk}:cancelled"
    assert notification.status == N.Status.PENDING
    assert notification.attempts == 0
    assert notification.next_attempt_at == NOW
    assert notification.title == "Appointment cancelled"
    assert notification.body == (
        f"{appointment.profile.name}: your appointment with {appointment.doctor.name} "
        "at 2026-03-11 09:30 was cancelled. Anything paid will be refunded."
    )
    assert notification.page == f"pages/appointment/detail?id={appointment.pk}"
    assert notification.context["visit_time"] == "2026-03-11 09:30"
    assert notification.context["reason"] == "改期"


def test_an_event_that_rolls_back_leaves_no_notification():
    appointment = appointment_at(VISIT)

    def cancel_then_fail() -> None:
        with transaction.atomic():
            appointment_cancel(actor=ACTOR, appointment=appointment)
            raise RuntimeError("a later step of the same transaction failed")

    with pytest.raises(RuntimeError):
        cancel_then_fail()

    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.BOOKED
    assert N.objects.filter(event="cancelled").exists() is False


def test_the_same_event_is_notified_once():
    appointment = appointment_at(VISIT)
    first = appointment_notify(appointment=appointment, event="checked_in")

    second = appointment_notify(appointment=appointment, event="checked_in")

    assert first is not None
    assert second is None
    assert N.objects.filter(event="checked_in").count() == 1


def test_an_unknown_event_is_refused_and_writes_nothing():
    appointment = appointment_at(VISIT)
    before = N.objects.count()

    with pytest.raises(ValueError, match="unknown appointment event 'moved'"):
        appointment_notify(appointment=appointment, event="moved")

    assert N.objects.count() == before


def test_payment_notifies_the_confirmed_booking():
    appointment = appointment_at(VISIT, fee=2000)

    appointment_mark_paid(actor=ACTOR, appointment=appointment)

    [notification] = N.objects.filter(event="booked")
    assert notification.appointment_id == appointment.pk
    assert notification.title == "Booking confirmed"


def test_stop_clinic_notifies_the_booked_and_the_waiting_patients():
    # given: the only seat is booked, another patient waits for it
    appointment = appointment_at(VISIT)
    appointment.slot.capacity = 1
    appointment.slot.save()
    waiting = PatientProfileFactory()
    entry = waitlist_join(
        actor=ACTOR,
        user=waiting.user,
        profile=waiting,
        session=appointment.session,
    )

    # when
    session_stop(actor=ACTOR, session=appointment.session, reason="专家出诊")

    # then
    stop = N.objects.get(event="stop_clinic")
    assert stop.user_id == appointment.user_id
    assert stop.context["reason"] == "专家出诊"
    closed = N.objects.get(event="waitlist_closed")
    assert closed.user_id == waiting.user_id
    assert closed.dedupe_key == f"waitlist:{entry.pk}:waitlist_closed"
    assert closed.appointment_id is None
    assert closed.page == "pages/waitlist/index"
    assert WaitlistEntry.objects.get(pk=entry.pk).status == "closed"


def test_a_completed_refund_notifies_the_payer(
    settings, wechat_server, templates, django_capture_on_commit_callbacks
):
    # given: a paid booking (dev channel)
    settings.PAYMENTS_DEV_GATEWAY = True
    appointment = appointment_at(VISIT, fee=2600)
    order = payment_order_open(appointment=appointment, channel="dev", actor=ACTOR)
    payment_order_dev_pay(order=order, actor=ACTOR)
    appointment.refresh_from_db()

    # when: it is cancelled and the refund goes through after the commit
    with django_capture_on_commit_callbacks(execute=True):
        appointment_cancel(actor=ACTOR, appointment=appointment)

    # then
    refund = Refund.objects.get()
    assert refund.status == Refund.Status.SUCCEEDED
    notification = N.objects.get(event="refund_done")
    assert notification.dedupe_key == f"refund:{refund.pk}:refund_done"
    assert notification.user_id == appointment.user_id
    assert notification.body == (
        f"{appointment.profile.name}: 26.00 yuan of order {appointment.order_no} "
        "has been refunded."
    )
    assert notification.status == N.Status.SENT
    [message] = [
        m
        for m in wechat_server.subscribe_messages
        if m["template_id"] == "tmpl-refund_done"
    ]
    assert message["data"] == {
        "character_string1": appointment.order_no,
        "amount2": "26.00",
        "name3": appointment.profile.name,
    }


# -- delivery ------------------------------------------------------------------------------


def test_delivery_after_commit_sends_a_wechat_subscribe_message(
    wechat_server, templates, django_capture_on_commit_callbacks
):
    appointment = appointment_at(VISIT)

    with django_capture_on_commit_callbacks(execute=True):
        appointment_cancel(actor=ACTOR, appointment=appointment, reason="改期")

    notification = N.objects.get(event="cancelled")
    assert notification.status == N.Status.SENT
    assert notification.channel == N.Channel.WECHAT
    assert notification.wechat_result == "ok"
    assert notification.sms_result == ""
    assert notification.attempts == 1
    assert notification.sent_at == NOW
    assert wechat_server.subscribe_messages == [
        {
            "touser": appointment.user.wechat_openid,
            "template_id": "tmpl-cancelled",
            "page": f"pages/appointment/detail?id={appointment.pk}",
            "data": {
                "name1": appointment.profile.name,
                "thing2": appointment.doctor.name,
                "time3": "2026-03-11 09:30",
                # "thing" values are cut to 20 characters
                "thing4": "Appointment cancell…",
            },
        }
    ]


def test_a_refused_subscription_falls_back_to_a_text(
    wechat_server, sms_server, templates
):
    # given: the patient never agreed to this template (43101)
    appointment = cancelled_appointment()
    wechat_server.fail_subscribe(43101, openid=appointment.user.wechat_openid)
    notification = N.objects.get(event="cancelled")

    # when
    result = notification_deliver(notification_id=notification.pk)

    # then
    assert result == DeliveryResult("sent")
    notification.refresh_from_db()
    assert notification.channel == N.Channel.SMS
    assert notification.wechat_result == "refused:43101"
    assert notification.sms_result == "ok"
    assert sms_server.received == [
        {
            "phone": PROFILE_PHONE,
            "sign_name": "预约挂号",
            "template": "notification",
            "params": {"text": f"{notification.title}: {notification.body}"},
        }
    ]


def test_without_an_openid_the_text_goes_to_the_patients_phone(
    wechat_server, sms_server, templates
):
    cancelled_appointment(openid=None)
    notification = N.objects.get(event="cancelled")

    notification_deliver(notification_id=notification.pk)

    notification.refresh_from_db()
    assert (notification.status, notification.channel) == (N.Status.SENT, "sms")
    assert notification.wechat_result == "no_openid"
    assert wechat_server.subscribe_calls == 0
    assert [m["phone"] for m in sms_server.received] == [PROFILE_PHONE]


def test_an_event_without_a_template_goes_by_text(wechat_server, sms_server):
    cancelled_appointment()
    notification = N.objects.get(event="cancelled")

    notification_deliver(notification_id=notification.pk)

    notification.refresh_from_db()
    assert notification.channel == N.Channel.SMS
    assert notification.wechat_result == "no_template"
    assert wechat_server.subscribe_calls == 0


def test_an_event_without_texts_stays_in_the_inbox_when_wechat_cannot_deliver(
    wechat_server, sms_server, templates
):
    # given: check-in notices are not texted (NOTIFY_SMS_EVENTS)
    appointment = appointment_at(VISIT, openid=None)
    notification = appointment_notify(appointment=appointment, event="checked_in")

    notification_deliver(notification_id=notification.pk)

    notification.refresh_from_db()
    assert notification.status == N.Status.SENT
    assert notification.channel == N.Channel.INBOX
    assert (notification.wechat_result, notification.sms_result) == ("no_openid", "off")
    assert sms_server.received == []


def test_without_openid_or_phone_the_inbox_copy_is_all(sms_server):
    user = PatientUserFactory(phone=None)
    notification = notification_create(
        user_id=user.pk,
        event="refund_done",
        dedupe_key="test:1",
        context={"patient": "张三", "amount": "1.00", "order_no": "X1"},
    )

    notification_deliver(notification_id=notification.pk)

    notification.refresh_from_db()
    assert notification.channel == N.Channel.INBOX
    assert notification.sms_result == "no_phone"
    assert sms_server.received == []


def test_the_users_phone_is_used_when_there_is_no_profile(sms_server):
    user = PatientUserFactory(phone="13900001111")
    notification = notification_create(
        user_id=user.pk,
        event="refund_done",
        dedupe_key="test:1",
        context={"patient": "张三", "amount": "1.00", "order_no": "X1"},
    )

    notification_deliver(notification_id=notification.pk)

    assert [m["phone"] for m in sms_server.received] == ["13900001111"]


def test_wechat_unavailable_retries_with_backoff_then_texts_on_the_last_attempt(
    wechat_server, sms_server, templates, notify_settings, frozen
):
    # given: WeChat answers "system busy" to everything; three attempts allowed
    notify_settings(MAX_ATTEMPTS=3, RETRY_BASE_SECONDS=30)
    wechat_server.fail_subscribe(-1)
    cancelled_appointment()
    notification = N.objects.get(event="cancelled")

    # when / then: the first attempt is put back for 30 seconds, without a text
    first = notification_deliver(notification_id=notification.pk)
    assert first == DeliveryResult("deferred", retry_in=30)
    notification.refresh_from_db()
    assert notification.status == N.Status.PENDING
    assert notification.next_attempt_at == NOW + seconds(30)
    assert notification.claimed_at is None
    assert notification.wechat_result == "unavailable"
    assert sms_server.received == []

    # not due yet: nothing happens
    early = notification_deliver(notification_id=notification.pk, now=NOW + seconds(29))
    assert early == DeliveryResult("not_claimed")

    # the second attempt doubles the wait
    frozen.move_to(NOW + seconds(30))
    second = notification_deliver(notification_id=notification.pk)
    assert second == DeliveryResult("deferred", retry_in=60)

    # the last attempt gives up on WeChat and texts
    frozen.move_to(NOW + seconds(90))
    third = notification_deliver(notification_id=notification.pk)

    assert third == DeliveryResult("sent")
    notification.refresh_from_db()
    assert notification.attempts == 3
    assert notification.channel == N.Channel.SMS
    assert notification.wechat_result == "unavailable"
    assert len(sms_server.received) == 1
    assert wechat_server.subscribe_calls == 3


def test_sms_down_on_the_last_attempt_fails_the_row(sms_server, notify_settings):
    notify_settings(MAX_ATTEMPTS=1)
    sms_server.answer = (503, b'{"code": "Busy"}')
    cancelled_appointment(openid=None)
    notification = N.objects.get(event="cancelled")

    result = notification_deliver(notification_id=notification.pk)

    assert result == DeliveryResult("failed")
    notification.refresh_from_db()
    assert notification.status == N.Status.FAILED
    assert notification.sms_result == "unavailable"
    assert notification.sent_at is None


def test_after_a_refusal_a_retry_does_not_ask_wechat_again(
    wechat_server, sms_server, templates, frozen
):
    # given: WeChat refused, then the SMS provider was down
    appointment = cancelled_appointment()
    wechat_server.fail_subscribe(43101, openid=appointment.user.wechat_openid)
    sms_server.answer = (503, b'{"code": "Busy"}')
    notification = N.objects.get(event="cancelled")
    assert notification_deliver(notification_id=notification.pk).status == "deferred"

    # when: the provider is back at the retry
    sms_server.answer = (200, b'{"code": "OK"}')
    frozen.move_to(NOW + seconds(30))
    result = notification_deliver(notification_id=notification.pk)

    # then
    assert result == DeliveryResult("sent")
    assert wechat_server.subscribe_calls == 1
    assert len(sms_server.received) == 2


def test_an_expired_access_token_is_renewed_and_the_message_sent(
    wechat_server, templates
):
    cancelled_appointment()
    notification = N.objects.get(event="cancelled")
    # given: a token was fetched earlier, and WeChat has since expired it
    other = appointment_notify(appointment=notification.appointment, event="no_show")
    notification_deliver(notification_id=other.pk)
    wechat_server.expire_access_tokens()

    notification_deliver(notification_id=notification.pk)

    notification.refresh_from_db()
    assert notification.channel == N.Channel.WECHAT
    assert len(wechat_server.requests_to("/cgi-bin/token")) == 2
    assert wechat_server.subscribe_calls == 3  # the refused call, then the retry


def test_a_delivered_row_is_never_sent_again(wechat_server, templates):
    cancelled_appointment()
    notification = N.objects.get(event="cancelled")
    notification_deliver(notification_id=notification.pk)

    again = notification_deliver(notification_id=notification.pk)
    swept = notifications_sweep(now=NOW + datetime.timedelta(hours=1))

    assert again == DeliveryResult("not_claimed")
    assert swept == 0
    assert len(wechat_server.subscribe_messages) == 1


def test_the_delivery_log_holds_no_text_or_phone(settings, caplog, templates):
    # given: the console SMS backend, and a patient without WeChat
    settings.SMS_BACKEND = "console"
    appointment = cancelled_appointment(openid=None)
    notification = N.objects.get(event="cancelled")

    with caplog.at_level(logging.DEBUG):
        notification_deliver(notification_id=notification.pk)

    assert notification.body not in caplog.text
    assert appointment.profile.name not in caplog.text
    assert PROFILE_PHONE not in caplog.text
    assert "138****8000" in caplog.text
    notification.refresh_from_db()
    assert notification.channel == N.Channel.SMS


# -- the sweeper ---------------------------------------------------------------------------


def test_the_sweeper_leaves_fresh_rows_to_the_queued_task(wechat_server, templates):
    cancelled_appointment()
    notification = N.objects.get(event="cancelled")

    early = notifications_sweep(now=NOW + seconds(119))
    assert early == 0
    notification.refresh_from_db()
    assert notification.status == N.Status.PENDING

    swept = notifications_sweep(now=NOW + seconds(120))

    assert swept == 1
    notification.refresh_from_db()
    assert notification.status == N.Status.SENT
    assert len(wechat_server.subscribe_messages) == 1


def test_a_row_stuck_in_sending_goes_back_and_is_sent(wechat_server, templates):
    # given: a worker claimed the row and died
    cancelled_appointment()
    notification = N.objects.get(event="cancelled")
    N.objects.filter(pk=notification.pk).update(
        status=N.Status.SENDING, claimed_at=NOW, attempts=1
    )

    # when / then: not before the sending timeout (600 s)
    assert notifications_sweep(now=NOW + seconds(599)) == 0
    notification.refresh_from_db()
    assert notification.status == N.Status.SENDING

    # at the timeout it goes back to pending, and a later sweep sends it
    assert notifications_sweep(now=NOW + seconds(600)) == 0
    notification.refresh_from_db()
    assert notification.status == N.Status.PENDING
    assert notification.next_attempt_at == NOW + seconds(600)
    assert notifications_sweep(now=NOW + seconds(720)) == 1
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == (N.Status.SENT, 2)
    assert len(wechat_server.subscribe_messages) == 1


def test_a_row_stuck_in_sending_out_of_attempts_is_failed(
    wechat_server, templates, notify_settings
):
    notify_settings(MAX_ATTEMPTS=2)
    cancelled_appointment()
    notification = N.objects.get(event="cancelled")
    N.objects.filter(pk=notification.pk).update(
        status=N.Status.SENDING, claimed_at=NOW, attempts=2
    )

    notifications_sweep(now=NOW + seconds(600))
    notifications_sweep(now=NOW + seconds(900))

    notification.refresh_from_db()
    assert notification.status == N.Status.FAILED
    assert wechat_server.subscribe_calls == 0


def test_the_wechat_message_data_respects_keyword_lengths(wechat_server, templates):
    # given: a stop-clinic reason longer than a "thing" keyword takes (20 characters)
    appointment = appointment_at(VISIT)
    reason = "因专家临时参加全市会诊任务本次门诊停诊敬请谅解并改约其他时间"
    session_stop(actor=ACTOR, session=appointment.session, reason=reason)
    notification = N.objects.get(event="stop_clinic")

    notification_deliver(notification_id=notification.pk)

    [message] = wechat_server.subscribe_messages
    assert message["data"]["thing5"] == reason[:19] + "…"
    assert len(message["data"]["thing5"]) == 20
    assert json.dumps(notification.context, ensure_ascii=False).count(reason) == 1
