"""Records services: drafts, signing, corrections, the automatic lock, reports."""

import datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from appointments.models import Appointment, Notification
from common.errors import Conflict, DomainError, NotFound
from common.models import OperationLog
from common.services import Actor
from records.errors import RecordLocked
from records.models import Attachment, RecordVersion, Report, VisitRecord
from records.services.records import (
    record_correct,
    record_draft_save,
    record_sign,
    records_auto_lock,
)
from records.services.reports import report_add
from tests.records.factories import (
    PDF,
    PNG,
    appointment_for,
    content,
    doctor_with_login,
    draft_for,
)

pytestmark = [pytest.mark.django_db, pytest.mark.clock]


@pytest.fixture
def appointment():
    return appointment_for(doctor=doctor_with_login())


def test_a_draft_is_created_for_a_checked_in_appointment(appointment):
    # when
    version = draft_for(appointment)

    # then
    version = RecordVersion.objects.get(pk=version.pk)
    record = version.record
    assert (record.appointment, record.profile, record.doctor) == (
        appointment,
        appointment.profile,
        appointment.doctor,
    )
    assert record.person_hash == appointment.profile.id_card_hash
    assert (version.number, version.status, version.locked_at) == (1, "draft", None)
    assert version.chief_complaint == "咳嗽三天"
    # a code of the shipped list gets its Chinese name
    assert version.diagnoses == [{"code": "J06.9", "text": "急性上呼吸道感染"}]
    assert version.prescriptions[0]["drug"] == "氨溴索片"
    assert OperationLog.objects.filter(
        action="record.draft_saved", object_id=str(record.pk)
    ).exists()


def test_saving_again_changes_the_same_draft(appointment):
    draft_for(appointment)

    version = draft_for(appointment, chief_complaint="头痛")

    assert RecordVersion.objects.count() == 1
    assert RecordVersion.objects.get(pk=version.pk).chief_complaint == "头痛"


def test_the_doctor_writes_the_record_while_the_patient_is_called_in():
    appointment = appointment_for(
        doctor=doctor_with_login(), status=Appointment.Status.CALLED
    )

    version = draft_for(appointment)

    assert version.record.appointment_id == appointment.pk


@pytest.mark.parametrize(
    "status",
    [Appointment.Status.BOOKED, Appointment.Status.PENDING_PAYMENT, "cancelled"],
)
def test_no_record_for_an_appointment_not_checked_in(status):
    appointment = appointment_for(doctor=doctor_with_login(), status=status)

    with pytest.raises(Conflict) as excinfo:
        draft_for(appointment)

    assert excinfo.value.code == "appointment_not_checked_in"
    assert VisitRecord.objects.exists() is False
    assert RecordVersion.objects.exists() is False


@pytest.mark.parametrize("code", ["J069", "J06-9", "06.9", "J06.", "J06.12345", "ÄB1"])
def test_a_malformed_icd10_code_is_refused_and_nothing_is_written(appointment, code):
    with pytest.raises(DomainError) as excinfo:
        draft_for(appointment, diagnoses=[{"code": code, "text": "x"}])

    assert excinfo.value.code == "invalid_icd10_code"
    assert excinfo.value.status_code == 400
    assert VisitRecord.objects.exists() is False


def test_a_free_text_diagnosis_needs_no_code_and_an_unlisted_code_needs_text(
    appointment,
):
    version = draft_for(
        appointment,
        diagnoses=[
            {"code": "", "text": "上呼吸道不适"},
            {"code": "A01.0", "text": "伤寒"},
        ],
    )
    assert RecordVersion.objects.get(pk=version.pk).diagnoses == [
        {"code": "", "text": "上呼吸道不适"},
        {"code": "A01.0", "text": "伤寒"},
    ]

    with pytest.raises(DomainError) as excinfo:
        draft_for(appointment, diagnoses=[{"code": "A01.0", "text": ""}])
    assert excinfo.value.code == "invalid_icd10_code"


def test_signing_locks_the_version_and_tells_the_patient(
    appointment, django_capture_on_commit_callbacks
):
    version = draft_for(appointment)

    signed = record_sign(
        actor=Actor(user=appointment.doctor.user), record=version.record
    )

    signed = RecordVersion.objects.get(pk=signed.pk)
    assert signed.status == "signed"
    assert signed.locked_at is not None
    notification = Notification.objects.get(event="record_ready")
    assert notification.user == appointment.user
    assert notification.dedupe_key == f"record:{version.record_id}:ready"


def test_an_empty_draft_cannot_be_signed(appointment):
    version = draft_for(appointment, chief_complaint="", diagnoses=[])

    with pytest.raises(DomainError) as excinfo:
        record_sign(actor=Actor(user=appointment.doctor.user), record=version.record)

    assert excinfo.value.code == "record_empty"
    assert RecordVersion.objects.get(pk=version.pk).locked_at is None


def test_a_locked_version_cannot_be_changed_by_any_path(appointment):
    # given
    version = draft_for(appointment)
    record_sign(actor=Actor(user=appointment.doctor.user), record=version.record)
    locked = RecordVersion.objects.get(pk=version.pk)
    before = locked.chief_complaint_encrypted

    # when / then: the service
    with pytest.raises(RecordLocked):
        draft_for(appointment, chief_complaint="改过")
    # the model's save, a bulk update, a delete
    locked.chief_complaint = "改过"
    with pytest.raises(RecordLocked):
        locked.save()
    with pytest.raises(RecordLocked):
        RecordVersion.objects.filter(pk=version.pk).update(chief_complaint_encrypted="")
    with pytest.raises(RecordLocked):
        RecordVersion.objects.get(pk=version.pk).delete()
    with pytest.raises(RecordLocked):
        RecordVersion.objects.filter(pk=version.pk).delete()
    # signing again
    with pytest.raises(RecordLocked):
        record_sign(actor=Actor(user=appointment.doctor.user), record=version.record)

    assert RecordVersion.objects.get(pk=version.pk).chief_complaint_encrypted == before


def test_a_correction_is_a_new_version_and_keeps_the_old_one(appointment):
    # given
    doctor_user = appointment.doctor.user
    version = draft_for(appointment)
    record_sign(actor=Actor(user=doctor_user), record=version.record)

    # when
    correction = record_correct(
        actor=Actor(user=doctor_user, ip="10.0.0.7"),
        record=version.record,
        content=content(diagnoses=[{"code": "J20.9", "text": ""}]),
        reason="诊断更正",
    )

    # then
    versions = list(
        RecordVersion.objects.filter(record=version.record).order_by("number")
    )
    assert [v.number for v in versions] == [1, 2]
    assert versions[0].diagnoses == [{"code": "J06.9", "text": "急性上呼吸道感染"}]
    assert versions[1].diagnoses == [{"code": "J20.9", "text": "急性支气管炎"}]
    assert versions[1].correction_reason == "诊断更正"
    assert versions[1].author == doctor_user
    assert versions[1].is_locked
    assert correction.pk == versions[1].pk
    log = OperationLog.objects.get(action="record.corrected")
    assert (log.actor, log.ip) == (doctor_user, "10.0.0.7")


def test_a_draft_is_not_corrected_and_a_correction_needs_a_reason(appointment):
    version = draft_for(appointment)
    actor = Actor(user=appointment.doctor.user)

    with pytest.raises(Conflict) as excinfo:
        record_correct(
            actor=actor, record=version.record, content=content(), reason="x"
        )
    assert excinfo.value.code == "record_not_locked"

    record_sign(actor=actor, record=version.record)
    with pytest.raises(DomainError) as excinfo:
        record_correct(
            actor=actor, record=version.record, content=content(), reason=" "
        )
    assert excinfo.value.code == "correction_reason_required"
    assert RecordVersion.objects.count() == 1


def test_drafts_lock_by_themselves_after_the_configured_hours(settings):
    # given: a visit today, its draft written during the visit
    settings.RECORD_AUTO_LOCK_HOURS = 24
    appointment = appointment_for(doctor=doctor_with_login())
    visit = appointment.visit_starts_at
    with time_machine.travel(visit + datetime.timedelta(minutes=10), tick=False):
        version = draft_for(appointment)

    # when: just before the deadline, nothing is locked
    with time_machine.travel(
        visit + datetime.timedelta(hours=23, minutes=59), tick=False
    ):
        assert records_auto_lock() == 0
    assert RecordVersion.objects.get(pk=version.pk).locked_at is None

    # when: at the deadline
    deadline = visit + datetime.timedelta(hours=24)
    with time_machine.travel(deadline, tick=False):
        assert records_auto_lock() == 1
        assert records_auto_lock() == 0  # idempotent

    # then
    version = RecordVersion.objects.get(pk=version.pk)
    assert version.status == "auto_locked"
    assert version.locked_at == deadline
    assert Notification.objects.filter(event="record_ready").count() == 1
    with pytest.raises(RecordLocked):
        draft_for(appointment, chief_complaint="太晚了")


def test_the_lock_hours_come_from_the_setting(settings):
    settings.RECORD_AUTO_LOCK_HOURS = 2
    appointment = appointment_for(doctor=doctor_with_login())
    version = draft_for(appointment)

    with time_machine.travel(
        appointment.visit_starts_at + datetime.timedelta(hours=2, seconds=1)
    ):
        records_auto_lock()

    assert RecordVersion.objects.get(pk=version.pk).status == "auto_locked"


def test_a_report_keeps_results_and_encrypted_files(appointment, media_root):
    # given
    record = draft_for(appointment).record

    # when
    report = report_add(
        actor=Actor(user=appointment.doctor.user),
        record=record,
        kind="lab",
        title="血常规",
        conclusion="白细胞升高",
        results=[
            {
                "item": "WBC",
                "value": "12.1",
                "unit": "10^9/L",
                "reference_range": "3.5-9.5",
                "flag": "H",
            },
        ],
        files=[("cbc.pdf", PDF), ("photo.PNG", PNG)],
    )

    # then
    report = Report.objects.get(pk=report.pk)
    assert report.results[0]["flag"] == "H"
    attachments = list(report.attachments.order_by("id"))
    assert [a.content_type for a in attachments] == ["application/pdf", "image/png"]
    assert [a.original_name for a in attachments] == ["cbc.pdf", "photo.PNG"]
    stored = sorted(p for p in media_root.rglob("*") if p.is_file())
    assert len(stored) == 2
    assert all(
        PDF not in p.read_bytes() and b"%PDF" not in p.read_bytes() for p in stored
    )
    assert Notification.objects.filter(event="report_ready").count() == 1


@pytest.mark.parametrize(
    ("name", "data", "code"),
    [
        ("scan.pdf", PNG, "attachment_type_mismatch"),
        ("notes.pdf", b"just some text pretending", "attachment_type_not_allowed"),
        ("x.png", b"GIF89a....", "attachment_type_not_allowed"),
        ("big.pdf", PDF + b"0" * 2048, "attachment_too_large"),
    ],
)
def test_a_bad_attachment_is_refused_and_nothing_is_written(
    appointment, settings, media_root, name, data, code
):
    settings.RECORD_ATTACHMENT_MAX_BYTES = 1024
    record = draft_for(appointment).record

    with pytest.raises(DomainError) as excinfo:
        report_add(
            actor=Actor(user=appointment.doctor.user),
            record=record,
            kind="imaging",
            title="胸片",
            results=[],
            files=[("fine.pdf", PDF), (name, data)],
        )

    assert excinfo.value.code == code
    assert excinfo.value.status_code == 400
    assert Report.objects.exists() is False
    assert Attachment.objects.exists() is False
    assert (
        not any(p.is_file() for p in media_root.rglob("*"))
        if media_root.exists()
        else True
    )


def test_a_result_needs_a_known_flag(appointment):
    record = draft_for(appointment).record

    with pytest.raises(DomainError) as excinfo:
        report_add(
            actor=Actor(user=appointment.doctor.user),
            record=record,
            kind="lab",
            title="t",
            results=[{"item": "WBC", "value": "1", "flag": "HIGH"}],
            files=[],
        )

    assert excinfo.value.code == "invalid_result"
    assert Report.objects.exists() is False


def test_a_report_is_final_once_added(appointment):
    record = draft_for(appointment).record
    report = report_add(
        actor=Actor(user=appointment.doctor.user),
        record=record,
        kind="lab",
        title="t",
        results=[],
        files=[],
    )

    report = Report.objects.get(pk=report.pk)
    report.title = "changed"
    with pytest.raises(Conflict):
        report.save()


def test_the_version_model_refuses_an_unknown_status(appointment):
    version = draft_for(appointment)
    version.status = "nonsense"
    with pytest.raises(ValidationError):
        version.full_clean()


def test_the_visit_time_is_the_appointments(appointment):
    record = draft_for(appointment).record
    assert record.visit_at == appointment.visit_starts_at
    assert timezone.is_aware(record.visit_at)


def test_the_periodic_task_locks_due_drafts(settings):
    from records.tasks import records_auto_lock as task

    settings.RECORD_AUTO_LOCK_HOURS = 1
    appointment = appointment_for(doctor=doctor_with_login())
    version = draft_for(appointment)

    with time_machine.travel(appointment.visit_starts_at + datetime.timedelta(hours=1)):
        assert task.delay().get() == 1

    assert RecordVersion.objects.get(pk=version.pk).status == "auto_locked"
    assert OperationLog.objects.filter(action="record.auto_locked").count() == 1


def test_only_the_appointments_doctor_writes_its_record(appointment):
    colleague = doctor_with_login(hospital=appointment.hospital)

    with pytest.raises(NotFound):
        record_draft_save(
            actor=Actor(user=colleague.user), appointment=appointment, content=content()
        )
    record = draft_for(appointment).record
    with pytest.raises(NotFound):
        record_sign(actor=Actor(user=colleague.user), record=record)
    with pytest.raises(NotFound):
        record_sign(actor=Actor.system(), record=record)

    assert RecordVersion.objects.get(record=record).locked_at is None
