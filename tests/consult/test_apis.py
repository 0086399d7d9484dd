"""The consult API: a consult's life end to end, each refusal, who sees what, recall,
the cursor pages, rating once, the doctor's offer and quick replies."""

import datetime

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from common.models import OperationLog
from consult.models import Consult, ConsultDay, ConsultMessage, QuickReply
from consult.services.consults import idle_consults_close, overdue_consults_cancel
from tests.accounts.factories import PatientProfileFactory
from tests.consult.factories import BASE, consult_for, offering_doctor
from tests.records.helpers import client_for

pytestmark = pytest.mark.django_db


def _code(response) -> str:
    return response.json()["error"]["code"]


def test_a_free_consult_from_question_to_rating():
    doctor = offering_doctor()
    profile = PatientProfileFactory()
    patient = client_for(profile.user)
    clinician = client_for(doctor.user)

    created = patient.post(
        f"{BASE}create/",
        {"doctor": doctor.pk, "profile": profile.pk, "problem": "咳嗽三天，夜间加重"},
        format="json",
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["status"] == "waiting"
    assert body["fee"] == 0
    assert body["problem"] == "咳嗽三天，夜间加重"
    consult_id = body["id"]

    # The problem is stored only as ciphertext.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT problem_encrypted FROM consult_consult WHERE id = %s", [consult_id]
        )
        assert "咳嗽" not in cursor.fetchone()[0]

    assert (
        patient.post(
            f"{BASE}{consult_id}/messages/send/", {"text": "有点发烧"}, format="json"
        ).status_code
        == 201
    )
    assert Consult.objects.get(pk=consult_id).status == "waiting"
    reply = clinician.post(
        f"{BASE}{consult_id}/messages/send/", {"text": "多喝水，测体温"}, format="json"
    )
    assert reply.status_code == 201
    assert reply.json()["sender"] == "doctor"
    assert clinician.get(f"{BASE}{consult_id}/").json()["status"] == "in_progress"
    assert [c["id"] for c in clinician.get(BASE).json()["results"]] == [consult_id]

    listed = patient.get(f"{BASE}{consult_id}/messages/").json()
    assert [m["text"] for m in listed["results"]] == ["有点发烧", "多喝水，测体温"]

    closed = patient.post(f"{BASE}{consult_id}/close/")
    assert closed.status_code == 200
    assert closed.json()["status"] == "closed"
    assert closed.json()["closed_by"] == "patient"

    rated = patient.post(
        f"{BASE}{consult_id}/rate/", {"stars": 5, "comment": "很耐心"}, format="json"
    )
    assert rated.status_code == 200
    assert rated.json()["status"] == "rated"
    assert rated.json()["stars"] == 5
    again = patient.post(f"{BASE}{consult_id}/rate/", {"stars": 1}, format="json")
    assert again.status_code == 409
    assert _code(again) == "consult_already_rated"
    assert Consult.objects.get(pk=consult_id).stars == 5
    actions = set(
        OperationLog.objects.filter(object_id=str(consult_id)).values_list(
            "action", flat=True
        )
    )
    assert {"consult.create", "consult.close", "consult.rate"} <= actions


def test_a_paid_consult_awaits_payment_and_takes_no_messages():
    doctor = offering_doctor(fee=3000)
    profile = PatientProfileFactory()
    patient = client_for(profile.user)
    created = patient.post(
        f"{BASE}create/",
        {"doctor": doctor.pk, "profile": profile.pk, "problem": "皮疹"},
        format="json",
    )
    assert created.json()["status"] == "awaiting_payment"
    assert created.json()["fee"] == 3000
    sent = patient.post(
        f"{BASE}{created.json()['id']}/messages/send/", {"text": "在吗"}, format="json"
    )
    assert sent.status_code == 409
    assert _code(sent) == "consult_not_open"
    assert ConsultMessage.objects.count() == 0


def test_create_refusals_store_nothing():
    doctor = offering_doctor(daily_cap=1)
    closed_doctor = offering_doctor()
    closed_doctor.consult_offer.enabled = False
    closed_doctor.consult_offer.save()
    profile = PatientProfileFactory()
    other_profile = PatientProfileFactory()
    patient = client_for(profile.user)

    def create(**body):
        data = {"doctor": doctor.pk, "profile": profile.pk, "problem": "头晕"} | body
        return patient.post(f"{BASE}create/", data, format="json")

    assert _code(create(profile=other_profile.pk)) == "consult_profile_not_found"
    assert _code(create(doctor=closed_doctor.pk)) == "doctor_not_offering_consults"
    assert create(problem="").status_code == 400
    assert create(problem="长" * 10_000).status_code == 400
    assert Consult.objects.count() == 0
    assert create().status_code == 201
    full = create()
    assert full.status_code == 409
    assert _code(full) == "consult_daily_cap_reached"
    assert Consult.objects.count() == 1
    assert ConsultDay.objects.get(doctor=doctor).taken == 1


def test_message_refusals_store_nothing():
    doctor = offering_doctor()
    consult = consult_for(doctor=doctor)
    patient = client_for(consult.user)
    url = f"{BASE}{consult.pk}/messages/send/"

    empty = patient.post(url, {"text": "   "}, format="json")
    assert empty.status_code == 400
    assert _code(empty) == "consult_message_empty"
    too_long = patient.post(url, {"text": "字" * 10_000}, format="json")
    assert too_long.status_code == 400
    assert _code(too_long) == "consult_message_too_long"
    assert patient.post(url, {"text": "字" * 2000}, format="json").status_code == 201
    assert patient.post(url, {}, format="json").status_code == 400
    assert ConsultMessage.objects.count() == 1

    assert patient.post(f"{BASE}{consult.pk}/close/").status_code == 200
    after_close = patient.post(url, {"text": "还在吗"}, format="json")
    assert after_close.status_code == 409
    assert _code(after_close) == "consult_not_open"
    assert ConsultMessage.objects.count() == 1


def test_another_patient_and_another_doctor_get_404():
    doctor = offering_doctor()
    consult = consult_for(doctor=doctor)
    message_id = (
        client_for(consult.user)
        .post(f"{BASE}{consult.pk}/messages/send/", {"text": "你好"}, format="json")
        .json()["id"]
    )
    for outsider in (PatientProfileFactory().user, offering_doctor().user):
        client = client_for(outsider)
        for answer in (
            client.get(f"{BASE}{consult.pk}/"),
            client.get(f"{BASE}{consult.pk}/messages/"),
            client.post(
                f"{BASE}{consult.pk}/messages/send/", {"text": "插话"}, format="json"
            ),
            client.post(f"{BASE}{consult.pk}/close/"),
            client.post(f"{BASE}{consult.pk}/rate/", {"stars": 1}, format="json"),
            client.post(f"{BASE}messages/{message_id}/recall/"),
        ):
            assert answer.status_code == 404
            assert _code(answer) in ("consult_not_found", "consult_message_not_found")
        assert client.get(BASE).json()["results"] == []
    assert ConsultMessage.objects.count() == 1
    assert Consult.objects.get().status == "waiting"


def test_recall_inside_two_minutes_only():
    doctor = offering_doctor()
    consult = consult_for(doctor=doctor)
    patient = client_for(consult.user)
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        first = patient.post(
            f"{BASE}{consult.pk}/messages/send/", {"text": "发错了"}, format="json"
        ).json()["id"]
        second = patient.post(
            f"{BASE}{consult.pk}/messages/send/", {"text": "这条留着"}, format="json"
        ).json()["id"]
        # The doctor cannot recall the patient's message.
        assert (
            client_for(doctor.user).post(f"{BASE}messages/{first}/recall/").status_code
            == 404
        )
        traveller.shift(datetime.timedelta(minutes=1, seconds=59))
        recalled = patient.post(f"{BASE}messages/{first}/recall/")
        assert recalled.status_code == 200
        assert recalled.json()["recalled"] is True
        assert recalled.json()["text"] is None
        again = patient.post(f"{BASE}messages/{first}/recall/")
        assert _code(again) == "message_already_recalled"
        traveller.shift(datetime.timedelta(seconds=2))
        late = patient.post(f"{BASE}messages/{second}/recall/")
        assert late.status_code == 409
        assert _code(late) == "recall_window_passed"

    listed = patient.get(f"{BASE}{consult.pk}/messages/").json()["results"]
    assert [(m["text"], m["recalled"]) for m in listed] == [
        (None, True),
        ("这条留着", False),
    ]
    assert ConsultMessage.objects.get(pk=first).text_encrypted == ""
    assert OperationLog.objects.filter(action="consult.message_recall").count() == 1


def test_cursor_pages_follow_sending_order():
    doctor = offering_doctor()
    consult = consult_for(doctor=doctor)
    patient = client_for(consult.user)
    clinician = client_for(doctor.user)
    texts = [f"第{n}条" for n in range(7)]
    for n, text in enumerate(texts):
        sender = clinician if n % 2 else patient
        sender.post(f"{BASE}{consult.pk}/messages/send/", {"text": text}, format="json")

    seen, cursor = [], None
    while True:
        query = {"limit": 3} | ({"after": cursor} if cursor is not None else {})
        page = patient.get(f"{BASE}{consult.pk}/messages/", query).json()
        if not page["results"]:
            assert page["next_cursor"] == cursor
            break
        assert len(page["results"]) <= 3
        seen += [m["text"] for m in page["results"]]
        cursor = page["next_cursor"]
    assert seen == texts
    assert patient.get(f"{BASE}{consult.pk}/messages/", {"limit": 0}).status_code == 400
    assert (
        patient.get(f"{BASE}{consult.pk}/messages/", {"after": "x"}).status_code == 400
    )


def test_rating_needs_a_closed_consult_and_the_patient():
    doctor = offering_doctor()
    consult = consult_for(doctor=doctor)
    patient = client_for(consult.user)
    early = patient.post(f"{BASE}{consult.pk}/rate/", {"stars": 4}, format="json")
    assert early.status_code == 409
    assert _code(early) == "consult_not_closed"
    assert (
        client_for(doctor.user).post(f"{BASE}{consult.pk}/close/").json()["closed_by"]
        == "doctor"
    )
    by_doctor = client_for(doctor.user).post(
        f"{BASE}{consult.pk}/rate/", {"stars": 5}, format="json"
    )
    assert by_doctor.status_code == 403
    assert (
        patient.post(
            f"{BASE}{consult.pk}/rate/", {"stars": 6}, format="json"
        ).status_code
        == 400
    )
    assert Consult.objects.get().stars is None


def test_a_consult_withdrawn_before_any_reply_cannot_be_rated():
    # given: the patient withdraws before the doctor answered
    consult = consult_for(doctor=offering_doctor())
    patient = client_for(consult.user)
    assert patient.post(f"{BASE}{consult.pk}/close/").json()["status"] == "closed"

    # when
    response = patient.post(f"{BASE}{consult.pk}/rate/", {"stars": 1}, format="json")

    # then
    assert response.status_code == 409
    assert _code(response) == "consult_not_answered"
    assert Consult.objects.get().stars is None


def test_overdue_waiting_consults_are_cancelled_once():
    doctor = offering_doctor(reply_hours=2)
    waiting = consult_for(doctor=doctor)
    answered = consult_for(doctor=doctor)
    client_for(doctor.user).post(
        f"{BASE}{answered.pk}/messages/send/", {"text": "您好"}, format="json"
    )
    assert overdue_consults_cancel() == 0
    with time_machine.travel(timezone.now() + datetime.timedelta(hours=2, minutes=1)):
        assert overdue_consults_cancel() == 1
        assert overdue_consults_cancel() == 0
    assert Consult.objects.get(pk=waiting.pk).status == "cancelled"
    assert Consult.objects.get(pk=answered.pk).status == "in_progress"
    assert OperationLog.objects.filter(action="consult.cancel").count() == 1


def test_idle_consults_close_after_the_setting(settings):
    settings.CONSULT_IDLE_CLOSE_HOURS = 3
    doctor = offering_doctor()
    consult = consult_for(doctor=doctor)
    client_for(doctor.user).post(
        f"{BASE}{consult.pk}/messages/send/", {"text": "您好"}, format="json"
    )
    with time_machine.travel(timezone.now() + datetime.timedelta(hours=2)):
        assert idle_consults_close() == 0
    with time_machine.travel(timezone.now() + datetime.timedelta(hours=3, minutes=1)):
        assert idle_consults_close() == 1
    consult.refresh_from_db()
    assert (consult.status, consult.closed_by) == ("closed", "system")


def test_the_doctor_sets_the_offer_and_keeps_quick_replies():
    doctor = offering_doctor()
    clinician = client_for(doctor.user)
    body = {"enabled": True, "fee": 1500, "daily_cap": 10, "reply_hours": 12}
    assert clinician.post(f"{BASE}offer/", body, format="json").json() == body
    assert clinician.get(f"{BASE}offer/").json() == body
    public = client_for(PatientProfileFactory().user).get(
        f"{BASE}doctors/{doctor.pk}/offer/"
    )
    assert public.json() == {"doctor": doctor.pk, "fee": 1500, "reply_hours": 12}
    bad = clinician.post(f"{BASE}offer/", body | {"daily_cap": 0}, format="json")
    assert bad.status_code == 400

    created = clinician.post(
        f"{BASE}quick-replies/create/", {"text": "请上传检查报告"}, format="json"
    )
    assert created.status_code == 201
    reply_id = created.json()["id"]
    assert clinician.post(
        f"{BASE}quick-replies/{reply_id}/update/", {"text": "请按时服药"}, format="json"
    ).json() == {"id": reply_id, "text": "请按时服药"}
    assert clinician.get(f"{BASE}quick-replies/").json() == [
        {"id": reply_id, "text": "请按时服药"}
    ]
    other = client_for(offering_doctor().user)
    assert other.post(f"{BASE}quick-replies/{reply_id}/delete/").status_code == 404
    assert clinician.post(f"{BASE}quick-replies/{reply_id}/delete/").status_code == 204
    assert QuickReply.objects.count() == 0


def test_a_doctor_keeps_at_most_twenty_quick_replies():
    doctor = offering_doctor()
    clinician = client_for(doctor.user)
    url = f"{BASE}quick-replies/create/"
    for n in range(20):
        assert (
            clinician.post(url, {"text": f"回复{n}"}, format="json").status_code == 201
        )
    refused = clinician.post(url, {"text": "多一条"}, format="json")
    assert refused.status_code == 409
    assert _code(refused) == "quick_reply_limit_reached"
    assert QuickReply.objects.filter(doctor=doctor).count() == 20
    assert clinician.post(url, {"text": ""}, format="json").status_code == 400


def test_the_list_filters_by_status():
    # given: one consult waiting, one closed, of the same patient
    doctor = offering_doctor()
    waiting = consult_for(doctor=doctor)
    closed = consult_for(doctor=doctor, profile=waiting.profile)
    patient = client_for(waiting.user)
    patient.post(f"{BASE}{closed.pk}/close/")

    # when / then
    def ids(query: str) -> list[int]:
        response = patient.get(f"{BASE}{query}")
        assert response.status_code == 200
        return [row["id"] for row in response.json()["results"]]

    assert ids("?status=waiting") == [waiting.pk]
    assert ids("?status=closed") == [closed.pk]
    assert sorted(ids("?status=closed&status=waiting")) == sorted(
        [waiting.pk, closed.pk]
    )
    assert ids("") == [closed.pk, waiting.pk]
    refused = patient.get(f"{BASE}?status=lost")
    assert refused.status_code == 400
    assert _code(refused) == "invalid"
