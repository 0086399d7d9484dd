"""History rows (from a file or from the import tables) as the model's visits."""

from analytics.history.formats import HistoryRow
from analytics.ml.visits import Visit
from analytics.models import HistoryVisit
from common.crypto import lookup_hash

PATIENT_HASH_CONTEXT = "history_patient"


def patient_hash(source: str, key: str) -> str:
    """A keyed hash of an outside file's patient key: never store the key itself."""
    return lookup_hash(f"{source}:{key}", context=PATIENT_HASH_CONTEXT)


def visit_from_row(row: HistoryRow, *, patient: str) -> Visit:
    return Visit(
        patient=patient,
        booked_at=row.booked_at,
        booked_on=row.booked_on,
        visit_date=row.visit_date,
        sex=row.sex,
        age=row.age,
        department=row.department,
        doctor=row.doctor,
        hour=row.hour,
        booked_hour=row.booked_hour,
        fee=row.fee,
        reminder=row.reminder_sent,
        extra=tuple(sorted((k, float(v)) for k, v in row.extra.items())),
        no_show=not row.attended,
    )


def imported_visits(source: str) -> list[Visit]:
    """Every visit imported from files of `source` (a format: all its imports), as the
    model's visits, in visit order. The patient is the stored keyed hash, which counts a
    patient's earlier visits as the file's key does."""
    rows = HistoryVisit.objects.filter(source=source).order_by(
        "visit_date", "booked_at", "pk"
    )
    return [
        Visit(
            patient=row.patient_hash,
            booked_at=row.booked_at,
            booked_on=row.booked_on,
            visit_date=row.visit_date,
            sex=row.sex,
            age=row.age,
            department=row.department,
            doctor=row.doctor,
            hour=row.visit_hour,
            booked_hour=row.booked_hour,
            fee=row.fee,
            reminder=row.reminder_sent,
            extra=tuple(sorted((k, float(v)) for k, v in row.extra.items())),
            no_show=not row.attended,
        )
        for row in rows.iterator(chunk_size=5000)
    ]
