"""Clinical text and files are never stored in clear: not in the database, not in storage.

Unique sentinel strings are written into every clinical field and into a file, then the
raw database (SQLite: the database image's bytes; MariaDB: a mysqldump of the test
database) and the media folder are searched for them.
"""

import shutil
import subprocess
import uuid

import pytest
from django.db import connection

from common.services import Actor
from records.models import RecordVersion
from records.services.content import RecordContent
from records.services.records import record_correct, record_draft_save, record_sign
from records.services.reports import report_add
from tests.records.factories import appointment_for, doctor_with_login


def _database_bytes() -> bytes:
    if connection.vendor == "sqlite":
        return connection.connection.serialize()
    if connection.vendor == "mysql":
        binary = shutil.which("mariadb-dump") or shutil.which("mysqldump")
        if binary is None:
            pytest.skip("no mysqldump binary to read the database with")
        db = connection.settings_dict
        command = [binary, "--skip-extended-insert", "--no-create-info"]
        command += ["-h", db["HOST"] or "127.0.0.1", "-P", str(db["PORT"] or 3306)]
        command += ["-u", db["USER"]]
        if db["PASSWORD"]:
            command.append(f"--password={db['PASSWORD']}")
        command.append(db["NAME"])
        return subprocess.run(command, check=True, capture_output=True).stdout
    pytest.skip(f"no raw reader for {connection.vendor}")


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("icd_subset_kept")
def test_no_sentinel_reaches_the_database_or_the_media_folder(media_root):
    # given: a sentinel per field, and one inside a file
    tag = uuid.uuid4().hex[:12].upper()
    sentinel = {
        name: f"SNTL{name.upper()}{tag}"
        for name in (
            "complaint",
            "illness",
            "history",
            "exam",
            "diagnosis",
            "drug",
            "orders",
            "advice",
            "reason",
            "title",
            "conclusion",
            "item",
            "value",
            "filename",
            "file",
        )
    }
    appointment = appointment_for(doctor=doctor_with_login())
    actor = Actor(user=appointment.doctor.user)

    # when
    content = RecordContent(
        chief_complaint=sentinel["complaint"],
        present_illness=sentinel["illness"],
        history=sentinel["history"],
        examination=sentinel["exam"],
        diagnoses=[{"code": "", "text": sentinel["diagnosis"]}],
        prescriptions=[
            {
                "drug": sentinel["drug"],
                "dose": "1",
                "route": "po",
                "frequency": "qd",
                "days": 1,
                "quantity": "1",
            }
        ],
        orders=sentinel["orders"],
        advice=sentinel["advice"],
    )
    version = record_draft_save(actor=actor, appointment=appointment, content=content)
    record_sign(actor=actor, record=version.record)
    record_correct(
        actor=actor, record=version.record, content=content, reason=sentinel["reason"]
    )
    report_add(
        actor=actor,
        record=version.record,
        kind="lab",
        title=sentinel["title"],
        conclusion=sentinel["conclusion"],
        results=[
            {
                "item": sentinel["item"],
                "value": sentinel["value"],
                "unit": "",
                "reference_range": "",
                "flag": "N",
            }
        ],
        files=[
            (
                f"{sentinel['filename']}.pdf",
                b"%PDF-1.4\n" + sentinel["file"].encode() + b"\n%%EOF",
            )
        ],
    )

    # then: readable through the models
    assert RecordVersion.objects.get(number=2).correction_reason == sentinel["reason"]
    # ... and absent from the raw database and every stored file
    raw = _database_bytes()
    assert appointment.order_no.encode() in raw  # proves the raw read sees our rows
    stored = [p.read_bytes() for p in media_root.rglob("*") if p.is_file()]
    assert len(stored) == 1
    for value in sentinel.values():
        assert value.encode() not in raw, value
        assert all(value.encode() not in blob for blob in stored), value
    assert b"%PDF" not in stored[0]
