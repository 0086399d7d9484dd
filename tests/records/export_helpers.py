"""A full visit document for the export tests."""

import datetime

from django.utils import timezone

from records.export.document import (
    Diagnosis,
    Patient,
    Prescription,
    Report,
    ResultLine,
    VisitDocument,
)

TZ = timezone.get_fixed_timezone(8 * 60)
DIAGNOSIS = "急性上呼吸道感染"


def visit_document(**overrides) -> VisitDocument:
    values = dict(
        record_id=41,
        version=2,
        patient=Patient(
            id=7, name="张小伟", gender="male", birth_date=datetime.date(1990, 3, 4)
        ),
        hospital="第一人民医院",
        department="呼吸内科",
        doctor="李明",
        visit_started_at=datetime.datetime(2026, 11, 27, 9, 10, tzinfo=TZ),
        visit_ended_at=datetime.datetime(2026, 11, 27, 9, 25, tzinfo=TZ),
        chief_complaint="咳嗽、咽痛三天",
        present_illness="三天前受凉后出现咳嗽，伴咽痛，无发热。",
        history="既往体健，否认药物过敏史。",
        examination="咽部充血，双肺呼吸音清。",
        diagnoses=(
            Diagnosis(code="J06.9", text=DIAGNOSIS),
            Diagnosis(text="咽炎待排"),
        ),
        prescriptions=(
            Prescription(
                drug="对乙酰氨基酚片",
                dose="0.5 g",
                route="口服",
                frequency="每日三次",
                days=3,
                quantity="9 片",
            ),
        ),
        orders="血常规",
        advice="多饮水，注意休息。",
        follow_up_on=datetime.date(2026, 12, 4),
        signed_by="李明",
        signed_at=datetime.datetime(2026, 11, 27, 9, 30, tzinfo=TZ),
        reports=(
            Report(
                id=3,
                kind="lab",
                title="血常规",
                issued_at=datetime.datetime(2026, 11, 27, 10, 5, tzinfo=TZ),
                conclusion="白细胞略高",
                results=(
                    ResultLine("白细胞计数", "10.8", "10^9/L", "3.5-9.5", "H"),
                    ResultLine("血红蛋白", "142", "g/L", "130-175", "N"),
                ),
            ),
            Report(
                id=4,
                kind="imaging",
                title="胸部X线",
                issued_at=datetime.datetime(2026, 11, 27, 10, 40, tzinfo=TZ),
                conclusion="双肺未见明显异常",
            ),
        ),
    )
    values.update(overrides)
    return VisitDocument(**values)
