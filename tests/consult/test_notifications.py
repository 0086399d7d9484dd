"""What the parties of a consult are told through the outbox: a new message (throttled per
consult and recipient), the doctor's acceptance, closing, cancelling and the refund."""

import datetime

import pytest
import time_machine
from django.utils import timezone

from appointments.models import Notification
from common.errors import Conflict
from common.services import Actor
from consult.models import Consult, ConsultMessage
from consult.notifications import consult_refunded_notify
from consult.services.consults import (
    consult_close,
    idle_consults_close,
    overdue_consults_cancel,
)
from consult.services.messages import message_send
from tests.consult.factories import consult_for, offering_doctor

pytestmark = pytest.mark.django_db

E = Notification.Event


def _send(consult: Consult, sender: str, text: str = "你好") -> ConsultMessage:
    user = consult.user if sender == "patient" else consult.doctor.user
    return message_send(
        actor=Actor(user=user), consult=consult, sender=sender, user=user, text=text
    )


def _of(user, event: str) -> list[Notification]:
    return list(Notification.objects.filter(user=user, event=event).order_by("pk"))


def test_two_messages_within_five_minutes_tell_the_doctor_once():
    # given
    doctor = offering_doctor()
    consult = consult_for(doctor=doctor)

    # when
    _send(consult, "patient", "头痛")
    _send(consult, "patient", "还有点发烧")

    # then
    [notification] = _of(doctor.user, E.CONSULT_MESSAGE)
    assert notification.title == "New consult message"
    assert notification.body == (
        f"{consult.profile.name} has sent a new message in an online consult."
    )
    assert notification.dedupe_key.startswith(f"consult:{consult.pk}:message:")
    assert notification.context["consult_id"] == str(consult.pk)
    assert notification.profile_id is None  # a text would go to the doctor's phone
    assert Notification.objects.filter(user=consult.user).exists() is False


def test_a_message_five_minutes_after_the_last_notice_tells_the_doctor_again():
    doctor = offering_doctor()
    consult = consult_for(doctor=doctor)
    start = timezone.now()
    _send(consult, "patient")

    with time_machine.travel(start + datetime.timedelta(minutes=4, seconds=59)):
        _send(consult, "patient")
    assert len(_of(doctor.user, E.CONSULT_MESSAGE)) == 1

    with time_machine.travel(start + datetime.timedelta(minutes=5, seconds=1)):
        _send(consult, "patient")
    assert len(_of(doctor.user, E.CONSULT_MESSAGE)) == 2


def test_the_throttle_is_per_consult_and_per_recipient():
    doctor = offering_doctor()
    first, second = consult_for(doctor=doctor), consult_for(doctor=doctor)

    _send(first, "patient")
    _send(second, "patient")  # another consult: its own notice
    _send(first, "doctor")  # accepted: the patient is told (another recipient)

    assert len(_of(doctor.user, E.CONSULT_MESSAGE)) == 2
    assert len(_of(first.user, E.CONSULT_ACCEPTED)) == 1


def test_the_doctors_first_reply_tells_the_patient_it_was_accepted_once():
    # given
    doctor = offering_doctor()
    consult = consult_for(doctor=doctor)
    start = timezone.now()

    # when: the first reply, a second one at once, a third after the window
    _send(consult, "doctor", "您好，请问持续多久了？")
    _send(consult, "doctor", "有没有发烧？")
    with time_machine.travel(start + datetime.timedelta(minutes=6)):
        _send(consult, "doctor", "请回复")

    # then: the acceptance stands for the first reply's notice
    [accepted] = _of(consult.user, E.CONSULT_ACCEPTED)
    assert accepted.title == "Your doctor has replied"
    assert accepted.body == (
        f"{consult.profile.name}: {doctor.name} ({doctor.hospital.name}) has taken "
        "your online consult and replied. Open it to read the reply."
    )
    assert accepted.profile_id == consult.profile_id
    [message] = _of(consult.user, E.CONSULT_MESSAGE)
    assert message.title == "New reply from your doctor"


def test_closing_by_the_patient_tells_the_doctor():
    doctor = offering_doctor()
    consult = consult_for(doctor=doctor)
    _send(consult, "doctor")

    consult_close(actor=Actor(user=consult.user), consult=consult, by="patient")

    [notification] = _of(doctor.user, E.CONSULT_CLOSED)
    assert notification.body == (
        f"{consult.profile.name} has closed their online consult."
    )
    assert _of(consult.user, E.CONSULT_CLOSED) == []


def test_closing_by_the_doctor_tells_the_patient_they_may_rate():
    doctor = offering_doctor()
    consult = consult_for(doctor=doctor)
    _send(consult, "doctor")

    consult_close(actor=Actor(user=doctor.user), consult=consult, by="doctor")

    [notification] = _of(consult.user, E.CONSULT_CLOSED)
    assert notification.title == "Online consult closed"
    assert notification.body == (
        f"{consult.profile.name}: {doctor.name} has closed your online consult. "
        "You can rate it now."
    )


def test_an_idle_consult_closing_by_itself_tells_the_patient():
    doctor = offering_doctor()
    consult = consult_for(doctor=doctor)
    _send(consult, "doctor")

    with time_machine.travel(timezone.now() + datetime.timedelta(days=3)):
        assert idle_consults_close() == 1
        assert idle_consults_close() == 0

    [notification] = _of(consult.user, E.CONSULT_CLOSED)
    assert "closed after a long time without messages" in notification.body
    assert _of(doctor.user, E.CONSULT_CLOSED) == []


def test_an_unanswered_consult_cancelled_at_its_deadline_tells_the_patient_once():
    doctor = offering_doctor(reply_hours=1)
    consult = consult_for(doctor=doctor)

    with time_machine.travel(timezone.now() + datetime.timedelta(hours=2)):
        assert overdue_consults_cancel() == 1
        assert overdue_consults_cancel() == 0

    [notification] = _of(consult.user, E.CONSULT_CANCELLED)
    assert notification.title == "Online consult cancelled"
    assert notification.body == (
        f"{consult.profile.name}: {doctor.name} could not reply to your online consult "
        "in time, so it was cancelled. Anything paid will be refunded."
    )
    assert notification.dedupe_key == f"consult:{consult.pk}:cancelled"


def test_a_refund_tells_the_patient_the_amount_once_per_refund():
    doctor = offering_doctor(fee=3000)
    consult = consult_for(doctor=doctor)

    first = consult_refunded_notify(consult=consult, amount_fen=3000, refund_id=7)
    again = consult_refunded_notify(consult=consult, amount_fen=3000, refund_id=7)

    assert again is None
    assert first.event == E.CONSULT_REFUNDED
    assert first.body == (
        f"{consult.profile.name}: 30.00 yuan paid for your online consult with "
        f"{doctor.name} has been refunded."
    )
    assert first.context["amount"] == "30.00"
    assert _of(consult.user, E.CONSULT_REFUNDED) == [first]


def test_a_refused_message_notifies_nobody():
    doctor = offering_doctor()
    consult = consult_for(doctor=doctor)
    consult_close(actor=Actor(user=consult.user), consult=consult, by="patient")
    before = Notification.objects.count()

    with pytest.raises(Conflict):
        _send(consult, "patient")

    assert Notification.objects.count() == before


def test_the_notice_is_delivered_by_the_outbox_after_commit(
    django_capture_on_commit_callbacks,
):
    doctor = offering_doctor()
    consult = consult_for(doctor=doctor)

    with django_capture_on_commit_callbacks(execute=True):
        _send(consult, "patient")

    [notification] = _of(doctor.user, E.CONSULT_MESSAGE)
    notification.refresh_from_db()
    # No WeChat template and not a texted event: the inbox is its channel.
    assert notification.status == Notification.Status.SENT
    assert notification.channel == Notification.Channel.INBOX
