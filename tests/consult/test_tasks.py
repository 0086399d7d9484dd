"""The consult tasks run the sweeps; message text is kept only as ciphertext."""

import datetime

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from common.services import Actor
from consult import tasks
from consult.models import Consult, ConsultMessage
from consult.services.messages import message_send
from tests.consult.factories import consult_for, offering_doctor

pytestmark = pytest.mark.django_db


def test_the_overdue_task_cancels_and_the_idle_task_closes():
    doctor = offering_doctor(reply_hours=1)
    unanswered = consult_for(doctor=doctor)
    answered = consult_for(doctor=doctor)
    message_send(
        actor=Actor.system(),
        consult=answered,
        sender=ConsultMessage.Sender.DOCTOR,
        user=doctor.user,
        text="您好",
    )
    later = timezone.now() + datetime.timedelta(days=5)
    with time_machine.travel(later):
        assert tasks.overdue_consults_cancel() == 1
        assert tasks.idle_consults_close() == 1
    assert Consult.objects.get(pk=unanswered.pk).status == Consult.Status.CANCELLED
    assert Consult.objects.get(pk=answered.pk).status == Consult.Status.CLOSED


def test_message_text_is_stored_encrypted():
    doctor = offering_doctor()
    consult = consult_for(doctor=doctor)
    message = message_send(
        actor=Actor.system(),
        consult=consult,
        sender=ConsultMessage.Sender.PATIENT,
        user=consult.user,
        text="胸口隐隐作痛",
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT text_encrypted FROM consult_consultmessage WHERE id = %s",
            [message.pk],
        )
        stored = cursor.fetchone()[0]
    assert "胸口" not in stored
    assert ConsultMessage.objects.get(pk=message.pk).text == "胸口隐隐作痛"
