"""Small history files in the import formats, generated for the tests (never the real
data set)."""

import csv
import io
import random
import zipfile
from pathlib import Path

from analytics.history.formats import GENERIC_OPTIONAL, GENERIC_REQUIRED, KAGGLE_COLUMNS


def kaggle_row(
    *,
    patient: str = "29872499824296",
    appointment: int = 5642903,
    gender: str = "F",
    scheduled: str = "2016-04-29T18:38:08Z",
    day: str = "2016-04-29T00:00:00Z",
    age: str = "62",
    neighbourhood: str = "JARDIM DA PENHA",
    sms: str = "0",
    no_show: str = "No",
) -> dict[str, str]:
    return {
        "PatientId": patient,
        "AppointmentID": str(appointment),
        "Gender": gender,
        "ScheduledDay": scheduled,
        "AppointmentDay": day,
        "Age": age,
        "Neighbourhood": neighbourhood,
        "Scholarship": "0",
        "Hipertension": "1",
        "Diabetes": "0",
        "Alcoholism": "0",
        "Handcap": "0",
        "SMS_received": sms,
        "No-show": no_show,
    }


def kaggle_rows(count: int, *, seed: int = 0) -> list[dict[str, str]]:
    """`count` visits over 20 days in May 2016: long lead times and some patients miss."""
    rng = random.Random(seed)
    rows = []
    for number in range(count):
        patient = rng.randint(1, max(2, count // 3))
        day = rng.randint(2, 21)
        lead = rng.randint(0, min(day - 1, 15))
        chance = 0.1 + (0.35 if lead > 7 else 0) + (0.25 if patient % 4 == 0 else 0)
        rows.append(
            kaggle_row(
                patient=f"{patient * 1000 + 7}.0",
                appointment=5_600_000 + number,
                gender=rng.choice("FM"),
                scheduled=f"2016-05-{day - lead:02d}T{rng.randint(11, 20):02d}:15:00Z",
                day=f"2016-05-{day:02d}T00:00:00Z",
                age=str(rng.randint(0, 90)),
                neighbourhood=rng.choice(["CENTRO", "ITARARÉ", "JARDIM CAMBURI"]),
                sms=str(int(lead > 2 and rng.random() < 0.5)),
                no_show="Yes" if rng.random() < chance else "No",
            )
        )
    return rows


def write_csv(path: Path, rows: list[dict[str, str]], columns=None) -> Path:
    columns = columns or list(rows[0])
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_kaggle_zip(path: Path, rows: list[dict[str, str]]) -> Path:
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=list(KAGGLE_COLUMNS))
    writer.writeheader()
    writer.writerows(rows)
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("KaggleV2-May-2016.csv", text.getvalue())
    return path


def generic_row(**values: str) -> dict[str, str]:
    row = {
        "patient_key": "P-001",
        "sex": "F",
        "birth_date": "1980-03-04",
        "age": "",
        "booked_at": "2026-03-01T09:30:00+08:00",
        "visit_date": "2026-03-05",
        "department": "内科",
        "attended": "1",
        "reminder_sent": "0",
        "visit_hour": "9",
        "doctor": "D-7",
        "fee": "2500",
        "visit_id": "",
    }
    row.update(values)
    return row


GENERIC_COLUMNS = [*GENERIC_REQUIRED, *GENERIC_OPTIONAL]
