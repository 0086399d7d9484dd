"""The records API: writing, signing and correcting through HTTP, bad input, the lists."""

import datetime
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.utils import timezone

from appointments.models import Notification
from common.models import OperationLog
from records.models import Attachment, RecordVersion, Report, VisitRecord
from tests.records.factories import (
    JPEG,
    PDF,
    PNG,
    appointment_for,
    doctor_with_login,
    draft_for,
)
from tests.records.helpers import BASE, client_for

pytestmark = [pytest.mark.django_db, pytest.mark.clock]

BODY = {
    "chief_complaint": "咽痛两天",
    "diagnoses": [{"code": "J02.9"}, {"text": "扁桃体肿大"}],
    "prescriptions": [
        {
            "drug": "布洛芬缓释胶囊",
            "dose": "0.3g",
            "route": "口服",
            "frequency": "bid",
            "days": 3,
            "quantity": "1盒",
        }
    ],
    "advice": "清淡饮食",
    "follow_up_date": "2030-01-05",
}


@pytest.fixture
def appointment():
    return appointment_for(doctor=doctor_with_login())


@pytest.fixture
def doctor(appointment):
    return client_for(appointment.doctor.user)


def _draft_url(appointment) -> str:
    return f"{BASE}staff/appointments/{appointment.pk}/draft/"


def test_a_doctor_writes_signs_and_corrects_a_record(appointment, doctor):
    # when: the draft
    draft = doctor.post(_draft_url(appointment), BODY, format="json")

    # then
    assert draft.status_code == 200
    record = draft.json()
    assert record["appointment_id"] == appointment.pk
    version = record["versions"][0]
    assert (version["number"], version["status"]) == (1, "draft")
    assert version["diagnoses"] == [
        {"code": "J02.9", "text": "急性咽炎"},
        {"code": "", "text": "扁桃体肿大"},
    ]
    assert version["follow_up_date"] == "2030-01-05"

    # when: signed
    signed = doctor.post(f"{BASE}staff/{record['id']}/sign/")
    assert signed.status_code == 200
    assert signed.json()["versions"][0]["status"] == "signed"

    # when: a change of the locked record through the draft endpoint
    refused = doctor.post(
        _draft_url(appointment), BODY | {"advice": "x"}, format="json"
    )
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "record_locked"

    # when: a correction
    corrected = doctor.post(
        f"{BASE}staff/{record['id']}/correct/",
        BODY | {"advice": "多饮水", "reason": "医嘱补充"},
        format="json",
    )

    # then: both versions, newest first
    assert corrected.status_code == 201
    versions = corrected.json()["versions"]
    assert [(v["number"], v["advice"]) for v in versions] == [
        (2, "多饮水"),
        (1, "清淡饮食"),
    ]
    assert versions[0]["correction_reason"] == "医嘱补充"
    assert versions[0]["author"] == appointment.doctor.name
    # the patient sees both locked versions
    mine = client_for(appointment.user).get(f"{BASE}{record['id']}/").json()
    assert [v["number"] for v in mine["versions"]] == [2, 1]


def test_signing_twice_answers_409(appointment, doctor):
    record_id = draft_for(appointment).record_id
    doctor.post(f"{BASE}staff/{record_id}/sign/")

    again = doctor.post(f"{BASE}staff/{record_id}/sign/")

    assert again.status_code == 409
    assert again.json()["error"]["code"] == "record_locked"


def test_a_malformed_icd_code_answers_400_and_writes_nothing(appointment, doctor):
    answer = doctor.post(
        _draft_url(appointment),
        BODY | {"diagnoses": [{"code": "J0.69", "text": "x"}]},
        format="json",
    )

    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "invalid_icd10_code"
    assert answer.json()["error"]["fields"] == {
        "diagnoses": {"0": ["Invalid ICD-10 code."]}
    }
    assert VisitRecord.objects.exists() is False
    assert OperationLog.objects.exists() is False


def test_an_appointment_not_checked_in_answers_409_and_writes_nothing():
    appointment = appointment_for(doctor=doctor_with_login(), status="booked")

    answer = client_for(appointment.doctor.user).post(
        _draft_url(appointment), BODY, format="json"
    )

    assert answer.status_code == 409
    assert answer.json() == {
        "error": {
            "code": "appointment_not_checked_in",
            "message": "The patient has not checked in for this appointment.",
            "fields": {},
        }
    }
    assert VisitRecord.objects.exists() is False


def test_bad_field_types_answer_400_in_the_error_shape(appointment, doctor):
    answer = doctor.post(
        _draft_url(appointment),
        {"prescriptions": [{"drug": "x", "days": 0}], "follow_up_date": "soon"},
        format="json",
    )

    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["code"] == "invalid"
    assert set(error["fields"]) == {"prescriptions", "follow_up_date"}
    assert VisitRecord.objects.exists() is False


def _report(client, record_id, *files, results=None, **extra):
    data = {
        "kind": "lab",
        "title": "血常规",
        "conclusion": "轻度贫血",
        "results": json.dumps(
            results
            if results is not None
            else [
                {
                    "item": "HGB",
                    "value": "105",
                    "unit": "g/L",
                    "reference_range": "115-150",
                    "flag": "L",
                }
            ]
        ),
        "files": [SimpleUploadedFile(name, content) for name, content in files],
        **extra,
    }
    return client.post(f"{BASE}staff/{record_id}/reports/", data, format="multipart")


def test_a_report_with_results_and_files_is_added(appointment, doctor, media_root):
    record_id = draft_for(appointment).record_id

    answer = _report(doctor, record_id, ("a.pdf", PDF), ("b.jpg", JPEG))

    assert answer.status_code == 201
    report = answer.json()["reports"][0]
    assert report["results"][0]["flag"] == "L"
    assert [a["content_type"] for a in report["attachments"]] == [
        "application/pdf",
        "image/jpeg",
    ]
    download = doctor.get(f"{BASE}staff/attachments/{report['attachments'][0]['id']}/")
    assert download["Content-Type"] == "application/pdf"
    assert download.content == PDF
    assert Notification.objects.filter(event="report_ready").count() == 1


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("report.pdf", PNG, "attachment_type_mismatch"),
        ("report.pdf", b"plain text, not a PDF", "attachment_type_not_allowed"),
        ("image.jpg", PDF, "attachment_type_mismatch"),
        ("big.pdf", PDF + b" " * 4096, "attachment_too_large"),
    ],
)
def test_a_bad_file_answers_400_and_writes_nothing(
    appointment, doctor, settings, media_root, name, content, code
):
    settings.RECORD_ATTACHMENT_MAX_BYTES = 2048
    record_id = draft_for(appointment).record_id

    answer = _report(doctor, record_id, ("good.png", PNG), (name, content))

    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == code
    assert list(answer.json()["error"]["fields"]["files"]) == ["1"]
    assert Report.objects.exists() is False
    assert Attachment.objects.exists() is False
    assert [p for p in media_root.rglob("*") if p.is_file()] == []


def test_bad_results_answer_400(appointment, doctor):
    record_id = draft_for(appointment).record_id

    not_json = doctor.post(
        f"{BASE}staff/{record_id}/reports/",
        {"kind": "lab", "title": "t", "results": "{oops"},
        format="multipart",
    )
    bad_flag = _report(doctor, record_id, results=[{"item": "HGB", "flag": "X"}])

    assert (not_json.status_code, bad_flag.status_code) == (400, 400)
    assert "results" in not_json.json()["error"]["fields"]
    assert Report.objects.exists() is False


def test_my_records_newest_first_with_reports(django_assert_max_num_queries):
    # given: two signed visits of one patient, a week apart, and a draft
    doctor = doctor_with_login()
    first = appointment_for(
        doctor=doctor, day=timezone.localdate() - datetime.timedelta(days=7)
    )
    profile = first.profile
    second = appointment_for(doctor=doctor, profile=profile)
    draft_only = appointment_for(
        doctor=doctor,
        profile=profile,
        day=timezone.localdate() - datetime.timedelta(days=3),
    )
    client = client_for(doctor.user)
    for appointment in (first, second):
        record_id = draft_for(appointment).record_id
        client.post(f"{BASE}staff/{record_id}/sign/")
        _report(client, record_id, ("x.png", PNG))
    draft_for(draft_only)
    patient = client_for(profile.user)

    # when
    with django_assert_max_num_queries(12):
        answer = patient.get(BASE)

    # then
    assert answer.status_code == 200
    results = answer.json()["results"]
    assert [r["appointment_id"] for r in results] == [second.pk, first.pk]
    assert all(len(r["reports"]) == 1 for r in results)
    assert results[0]["reports"][0]["attachments"][0]["content_type"] == "image/png"


def test_a_record_version_count_never_shrinks_through_the_api(appointment, doctor):
    record_id = draft_for(appointment).record_id
    doctor.post(f"{BASE}staff/{record_id}/sign/")

    doctor.post(
        f"{BASE}staff/{record_id}/correct/", BODY | {"reason": "a"}, format="json"
    )
    doctor.post(
        f"{BASE}staff/{record_id}/correct/", BODY | {"reason": "b"}, format="json"
    )

    assert list(
        RecordVersion.objects.filter(record_id=record_id)
        .order_by("number")
        .values_list("number", "status")
    ) == [(1, "signed"), (2, "signed"), (3, "signed")]


class DiskUploadRecorder(TemporaryFileUploadHandler):
    """Django's disk handler, remembering that it was used."""

    used = False

    def new_file(self, *args, **kwargs):
        type(self).used = True
        super().new_file(*args, **kwargs)


def test_files_are_never_written_to_a_temporary_file(
    appointment, doctor, settings, tmp_path
):
    # given: uploads would go to a temporary file in Django's own handling
    settings.FILE_UPLOAD_HANDLERS = ["tests.records.test_apis.DiskUploadRecorder"]
    DiskUploadRecorder.used = False
    settings.RECORD_ATTACHMENT_MAX_BYTES = 4096
    record_id = draft_for(appointment).record_id
    fits = PDF + b" " * 3000
    too_big = PDF + b" " * 50_000

    # when
    taken = _report(doctor, record_id, ("fits.pdf", fits))
    refused = _report(doctor, record_id, ("big.pdf", too_big))

    # then
    assert taken.status_code == 201
    attachment_id = taken.json()["reports"][0]["attachments"][0]["id"]
    assert doctor.get(f"{BASE}staff/attachments/{attachment_id}/").content == fits
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "attachment_too_large"
    assert DiskUploadRecorder.used is False
    assert Report.objects.count() == 1
