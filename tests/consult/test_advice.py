"""The doctor's advice on a consult: written by the consult's doctor only, kept encrypted,
shown in the patient's records (kind online_consult, with the consult's id), versioned."""

import pytest
from django.db import connection

from common.models import OperationLog
from common.services import Actor
from consult.models import Consult
from consult.services.consults import consult_close
from consult.services.messages import message_send
from records.models import RecordAccess, VisitRecord
from tests.accounts.factories import PatientProfileFactory
from tests.consult.factories import BASE, consult_for, offering_doctor
from tests.records.factories import doctor_with_login
from tests.records.helpers import BASE as RECORDS
from tests.records.helpers import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def answered() -> Consult:
    doctor = offering_doctor()
    consult = consult_for(doctor=doctor, problem="孩子咳嗽三天")
    message_send(
        actor=Actor.system(),
        consult=consult,
        sender="doctor",
        user=doctor.user,
        text="请多喝水",
    )
    return Consult.objects.get(pk=consult.pk)


def _advise(user, consult: Consult, advice: str = "多饮水，三天不好转请到门诊就诊"):
    return client_for(user).post(
        f"{BASE}{consult.pk}/advice/", {"advice": advice}, format="json"
    )


def test_the_advice_appears_in_the_patients_records(answered):
    # given
    doctor, patient = answered.doctor, answered.user

    # when
    response = _advise(doctor.user, answered)

    # then: the consult answers with its advice and record
    assert response.status_code == 200, response.json()
    body = response.json()
    record = VisitRecord.objects.get()
    assert (body["advice"], body["record"]) == (
        "多饮水，三天不好转请到门诊就诊",
        record.pk,
    )
    # and the patient's records list and detail show it
    records = client_for(patient)
    [listed] = records.get(RECORDS).json()["results"]
    detail = records.get(f"{RECORDS}{record.pk}/").json()
    for shown in (listed, detail):
        assert (shown["kind"], shown["consult_id"], shown["appointment_id"]) == (
            "online_consult",
            answered.pk,
            None,
        )
        assert shown["doctor"] == doctor.name
        [version] = shown["versions"]
        assert version["advice"] == "多饮水，三天不好转请到门诊就诊"
        assert version["chief_complaint"] == "孩子咳嗽三天"
        assert version["status"] == "signed"
    assert client_for(patient).get(f"{BASE}{answered.pk}/").json()["record"] == (
        record.pk
    )


def test_another_patient_does_not_see_it(answered):
    _advise(answered.doctor.user, answered)
    record = VisitRecord.objects.get()
    other = client_for(PatientProfileFactory().user)

    assert other.get(RECORDS).json()["results"] == []
    assert other.get(f"{RECORDS}{record.pk}/").status_code == 404


def test_only_the_consults_doctor_writes_the_advice(answered):
    colleague = doctor_with_login(hospital=answered.doctor.hospital)

    by_patient = _advise(answered.user, answered)
    by_colleague = _advise(colleague.user, answered)
    by_stranger = _advise(PatientProfileFactory().user, answered)

    assert [by_patient.status_code, by_colleague.status_code] == [403, 404]
    assert by_stranger.status_code == 404
    assert VisitRecord.objects.exists() is False
    assert Consult.objects.get(pk=answered.pk).record_id is None


def test_rewriting_the_advice_adds_a_version_and_logs_each_write(answered):
    doctor = answered.doctor

    _advise(doctor.user, answered, "第一版建议")
    consult_close(actor=Actor(user=doctor.user), consult=answered, by="doctor")
    second = _advise(doctor.user, answered, "第二版建议")

    assert second.status_code == 200
    assert second.json()["advice"] == "第二版建议"
    record = VisitRecord.objects.get()
    assert list(record.versions.values_list("number", flat=True)) == [2, 1]
    assert [v.advice for v in record.versions.order_by("number")] == [
        "第一版建议",
        "第二版建议",
    ]
    logs = OperationLog.objects.filter(actor=doctor.user).order_by("pk")
    assert [
        (log.action, log.object_type, log.summary)
        for log in logs
        if log.action in ("consult.advice", "record.consult_advice")
    ] == [
        (
            "record.consult_advice",
            "records.visitrecord",
            f"consult {answered.pk}, version 1",
        ),
        ("consult.advice", "consult.consult", f"record {record.pk}, version 1"),
        (
            "record.consult_advice",
            "records.visitrecord",
            f"consult {answered.pk}, version 2",
        ),
        ("consult.advice", "consult.consult", f"record {record.pk}, version 2"),
    ]


def test_the_advice_is_stored_encrypted(answered):
    _advise(answered.doctor.user, answered, "低盐饮食")

    with connection.cursor() as cursor:
        cursor.execute("SELECT advice_encrypted FROM records_recordversion")
        [(stored,)] = cursor.fetchall()
    assert stored
    assert "低盐" not in stored


def test_a_consult_not_yet_answered_takes_no_advice():
    doctor = offering_doctor()
    waiting = consult_for(doctor=doctor)

    response = _advise(doctor.user, waiting)

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "consult_advice_not_allowed"
    assert VisitRecord.objects.exists() is False


def test_empty_advice_is_refused(answered):
    response = _advise(answered.doctor.user, answered, "   ")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "consult_advice_empty"


def test_the_consult_list_shows_advice_without_a_query_per_consult(
    answered, django_assert_max_num_queries
):
    doctor = answered.doctor
    _advise(doctor.user, answered)
    for _ in range(3):
        other = consult_for(doctor=doctor)
        message_send(
            actor=Actor.system(),
            consult=other,
            sender="doctor",
            user=doctor.user,
            text="好的",
        )
        _advise(doctor.user, other, "休息")
    client = client_for(doctor.user)

    with django_assert_max_num_queries(8):
        results = client.get(BASE).json()["results"]

    assert sorted(c["advice"] for c in results) == [
        "休息",
        "休息",
        "休息",
        "多饮水，三天不好转请到门诊就诊",
    ]


def test_the_doctor_reading_their_consults_record_is_not_a_stranger(answered):
    # The record is the doctor's own: their clinician API reads it (and logs it).
    _advise(answered.doctor.user, answered)
    record = VisitRecord.objects.get()

    response = client_for(answered.doctor.user).get(f"{RECORDS}staff/{record.pk}/")

    assert response.status_code == 200
    assert response.json()["kind"] == "online_consult"
    assert RecordAccess.objects.filter(record=record).count() == 1


def test_the_patient_exports_the_consults_record_as_fhir(answered):
    _advise(answered.doctor.user, answered, "低盐饮食")
    record = VisitRecord.objects.get()

    response = client_for(answered.user).get(f"{RECORDS}{record.pk}/export/fhir/")

    # A record without an appointment exports as a visit's does.
    assert response.status_code == 200
    kinds = [e["resource"]["resourceType"] for e in response.json()["entry"]]
    assert "Encounter" in kinds
