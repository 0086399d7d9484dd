"""Reporting a consult message: once per message and reporter, never one's own, only in
one's own consult; staff's decisions and hiding, each with its operation-log row."""

import pytest

from common.errors import Conflict
from common.models import OperationLog
from common.services import Actor
from consult.models import ConsultMessage, MessageReport
from consult.services.messages import message_send
from consult.services.reports import message_hide, message_report_decide
from tests.accounts.factories import PatientProfileFactory
from tests.consult.factories import BASE, consult_for, offering_doctor
from tests.records.factories import doctor_with_login, staff_of
from tests.records.helpers import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def chat():
    doctor = offering_doctor()
    consult = consult_for(doctor=doctor)
    question = message_send(
        actor=Actor.system(),
        consult=consult,
        sender="patient",
        user=consult.user,
        text="医生你好",
    )
    reply = message_send(
        actor=Actor.system(),
        consult=consult,
        sender="doctor",
        user=doctor.user,
        text="加我微信私下聊",
    )
    return consult, question, reply


def _report(client, message_id: int, **body):
    return client.post(
        f"{BASE}messages/{message_id}/report/",
        {"reason": "fraud", **body},
        format="json",
    )


def test_the_patient_reports_the_doctors_message_once(chat):
    # given
    consult, _question, reply = chat
    patient = client_for(consult.user)

    # when
    first = _report(patient, reply.pk, comment="要求私下转账")
    again = _report(patient, reply.pk, reason="spam")

    # then
    assert first.status_code == 201, first.json()
    body = first.json()
    assert (body["message"], body["reason"], body["comment"], body["status"]) == (
        reply.pk,
        "fraud",
        "要求私下转账",
        "pending",
    )
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "message_report_duplicate"
    report = MessageReport.objects.get()
    assert (report.reporter, report.reporter_side, report.hospital_id) == (
        consult.user,
        "patient",
        consult.hospital_id,
    )
    assert (
        OperationLog.objects.filter(
            action="consult.message_report",
            object_id=str(report.pk),
            actor=consult.user,
        ).count()
        == 1
    )


def test_the_doctor_reports_the_patients_message(chat):
    consult, question, _reply = chat

    response = _report(client_for(consult.doctor.user), question.pk, reason="abuse")

    assert response.status_code == 201
    assert MessageReport.objects.get().reporter_side == "doctor"


def test_ones_own_message_cannot_be_reported(chat):
    consult, question, _reply = chat

    response = _report(client_for(consult.user), question.pk)

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "message_report_own_message"
    assert MessageReport.objects.exists() is False


def test_a_message_of_someone_elses_consult_answers_404(chat):
    _consult, _question, reply = chat
    outsiders = [
        PatientProfileFactory().user,
        doctor_with_login().user,
        staff_of(reply.consult.hospital),
    ]

    statuses = [_report(client_for(user), reply.pk).status_code for user in outsiders]

    assert statuses == [404, 404, 404]
    assert MessageReport.objects.exists() is False


def test_a_reason_outside_the_choices_is_refused(chat):
    consult, _question, reply = chat

    response = _report(client_for(consult.user), reply.pk, reason="boring")

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["reason"]


def test_staff_uphold_a_report_once_with_reviewer_and_time(chat):
    consult, _question, reply = chat
    _report(client_for(consult.user), reply.pk)
    report = MessageReport.objects.get()
    staff = staff_of(consult.hospital)

    decided = message_report_decide(actor=Actor(user=staff), report=report, upheld=True)
    with pytest.raises(Conflict) as refused:
        message_report_decide(actor=Actor(user=staff), report=report, upheld=False)

    assert refused.value.code == "message_report_already_decided"
    assert (decided.status, decided.reviewed_by) == ("upheld", staff)
    assert decided.reviewed_at is not None
    assert list(
        OperationLog.objects.filter(
            object_type="consult.messagereport", object_id=str(report.pk)
        )
        .order_by("pk")
        .values_list("action", flat=True)
    ) == ["consult.message_report", "consult.report_upheld"]


def test_hiding_a_message_shows_it_recalled_and_upholds_its_reports(chat):
    # given
    consult, _question, reply = chat
    patient = client_for(consult.user)
    _report(patient, reply.pk)
    staff = staff_of(consult.hospital)

    # when
    message_hide(actor=Actor(user=staff), message=reply, reason="report 1: fraud")

    # then: both parties see it recalled; staff keep the text for the review
    listed = patient.get(f"{BASE}{consult.pk}/messages/").json()["results"]
    assert listed[1] | {"created_at": None} == {
        "id": reply.pk,
        "sender": "doctor",
        "kind": "text",
        "text": None,
        "recalled": True,
        "hidden": True,
        "created_at": None,
        "image": None,
    }
    assert ConsultMessage.objects.get(pk=reply.pk).text == "加我微信私下聊"
    assert MessageReport.objects.get().status == "upheld"
    hide_log = OperationLog.objects.get(action="consult.message_hide")
    assert (hide_log.object_id, hide_log.summary, hide_log.actor) == (
        str(reply.pk),
        "report 1: fraud",
        staff,
    )
    with pytest.raises(Conflict) as again:
        message_hide(actor=Actor(user=staff), message=reply, reason="again")
    assert again.value.code == "message_already_hidden"
    # a hidden message cannot be reported any more
    assert _report(client_for(consult.doctor.user), reply.pk).status_code == 422
