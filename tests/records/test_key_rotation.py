"""`rotate_encryption_key` re-encrypts the records' columns too, locked versions included."""

import io

import pytest
from django.core.management import call_command

from common import crypto
from common.filecrypto import sealed_key_id
from common.services import Actor
from records.models import Attachment, RecordVersion, Report
from records.services import attachment_rotation as rotation
from records.services.attachment_rotation import attachment_rotation_batch
from records.services.attachments import (
    attachment_content,
    attachment_storage,
    attachment_store,
)
from records.services.records import record_sign
from records.services.reports import report_add
from tests.records.factories import appointment_for, doctor_with_login, draft_for

pytestmark = pytest.mark.django_db

KEY_A = b"A" * 32
KEY_B = b"B" * 32


def test_rotation_covers_locked_versions_and_reports(settings):
    # given: a signed record and a report, under key A
    settings.FIELD_ENCRYPTION_KEY = KEY_A
    settings.FIELD_ENCRYPTION_OLD_KEYS = []
    appointment = appointment_for(doctor=doctor_with_login())
    version = draft_for(appointment)
    actor = Actor(user=appointment.doctor.user)
    record_sign(actor=actor, record=version.record)
    report_add(
        actor=actor,
        record=version.record,
        kind="lab",
        title="血常规",
        results=[{"item": "WBC", "value": "5", "flag": "N"}],
        files=[],
    )

    # when
    settings.FIELD_ENCRYPTION_KEY = KEY_B
    settings.FIELD_ENCRYPTION_OLD_KEYS = [KEY_A]
    call_command("rotate_encryption_key", stdout=io.StringIO(), stderr=io.StringIO())

    # then: readable without key A, and still locked
    settings.FIELD_ENCRYPTION_OLD_KEYS = []
    version = RecordVersion.objects.get(pk=version.pk)
    assert version.chief_complaint_encrypted.startswith(crypto.current_prefix())
    assert version.chief_complaint == "咳嗽三天"
    assert version.diagnoses[0]["code"] == "J06.9"
    assert version.status == "signed"
    report = Report.objects.get()
    assert (report.title, report.results[0]["item"]) == ("血常规", "WBC")


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.7\n" + b"%" * 64


def _report_with_files(files: list[tuple[str, bytes]]) -> Report:
    appointment = appointment_for(doctor=doctor_with_login())
    version = draft_for(appointment)
    return report_add(
        actor=Actor(user=appointment.doctor.user),
        record=version.record,
        kind="imaging",
        title="胸片",
        results=[],
        files=files,
    )


def _sealed_with(attachment: Attachment) -> str:
    with attachment_storage().open(attachment.storage_name, "rb") as stored:
        return sealed_key_id(stored.read())


def test_rotation_re_encrypts_attachment_files_and_removes_the_old_ones(settings):
    # given: two files under key A
    settings.FIELD_ENCRYPTION_KEY = KEY_A
    settings.FIELD_ENCRYPTION_OLD_KEYS = []
    report = _report_with_files([("a.png", PNG), ("b.pdf", PDF)])
    before = {a.pk: a.storage_name for a in report.attachments.all()}
    assert {a.key_id for a in report.attachments.all()} == {crypto.key_id(KEY_A)}

    # when: batches of one, so the loop over batches runs
    settings.FIELD_ENCRYPTION_KEY = KEY_B
    settings.FIELD_ENCRYPTION_OLD_KEYS = [KEY_A]
    out = io.StringIO()
    call_command(
        "rotate_encryption_key", batch_size=1, stdout=out, stderr=io.StringIO()
    )

    # then: readable without key A, under new names; the old files are gone
    settings.FIELD_ENCRYPTION_OLD_KEYS = []
    after = {a.pk: a for a in Attachment.objects.all()}
    assert [attachment_content(after[pk]) for pk in sorted(after)] == [PNG, PDF]
    for pk, old_name in before.items():
        assert after[pk].storage_name != old_name
        assert after[pk].key_id == crypto.key_id(KEY_B)
        assert _sealed_with(after[pk]) == crypto.key_id(KEY_B)
        assert not attachment_storage().exists(old_name)
    assert out.getvalue().endswith("0 left under old keys.\n")


def test_a_file_stored_before_the_key_column_is_only_marked_when_already_current(
    settings,
):
    # given: a file under the current key whose row does not say so
    settings.FIELD_ENCRYPTION_KEY = KEY_B
    settings.FIELD_ENCRYPTION_OLD_KEYS = []
    report = _report_with_files([("a.png", PNG)])
    Attachment.objects.update(key_id="")
    name = report.attachments.get().storage_name

    # when
    result = attachment_rotation_batch(0, 10)

    # then: the file is left where it is, the row now names its key
    attachment = Attachment.objects.get()
    assert (result.rotated, attachment.storage_name) == (0, name)
    assert attachment.key_id == crypto.key_id(KEY_B)


def test_an_attachment_changed_during_its_rotation_keeps_its_file(
    settings, monkeypatch
):
    # given: a file under key A
    settings.FIELD_ENCRYPTION_KEY = KEY_A
    settings.FIELD_ENCRYPTION_OLD_KEYS = []
    report = _report_with_files([("a.png", PNG)])
    attachment = report.attachments.get()
    original = attachment.storage_name
    settings.FIELD_ENCRYPTION_KEY = KEY_B
    settings.FIELD_ENCRYPTION_OLD_KEYS = [KEY_A]
    stored_names: list[str] = []

    def store_then_row_moves(content: bytes):
        fresh = attachment_store(content)
        stored_names.append(fresh.name)
        # another rotation run got there first
        Attachment.objects.filter(pk=attachment.pk).update(storage_name="records/x.bin")
        return fresh

    monkeypatch.setattr(rotation, "attachment_store", store_then_row_moves)

    # when
    result = attachment_rotation_batch(0, 10)

    # then: nothing counted, the file made for it removed, the row's file kept
    assert result.rotated == 0
    assert not attachment_storage().exists(stored_names[0])
    assert attachment_storage().exists(original)


def test_a_file_no_key_opens_stops_the_rotation_naming_it(settings):
    settings.FIELD_ENCRYPTION_KEY = KEY_A
    settings.FIELD_ENCRYPTION_OLD_KEYS = []
    report = _report_with_files([("a.png", PNG)])
    attachment = report.attachments.get()
    settings.FIELD_ENCRYPTION_KEY = KEY_B
    settings.FIELD_ENCRYPTION_OLD_KEYS = []  # key A forgotten

    with pytest.raises(crypto.DecryptionError) as excinfo:
        attachment_rotation_batch(0, 10)

    assert f"attachment {attachment.pk} ({attachment.storage_name})" in str(
        excinfo.value
    )
    assert Attachment.objects.get().storage_name == attachment.storage_name
