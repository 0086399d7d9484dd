"""History rows (from a file or from the import tables) as the model's visits."""

from analytics.history.formats import HistoryRow
from analytics.ml.visits import Visit
from analytics.models import HistoryVisit
from common.crypto import lookup_hash

PATIENT_HASH_CONTEXT = "history_patient"


def patient_hash(source: str, key: str) -> str:
    """A keyed hash of an outside file's patient key: never store the key itself."""
    return lookup_hash(f"{source}:{key}", context=PATIENT_HASH_CONTEXT)


def _visit(source, *, patient: str, hour: int | None) -> Visit:
    """`source`: a file's HistoryRow or a stored HistoryVisit (the same field names)."""
    return Visit(
        patient=patient,
        booked_at=source.booked_at,
        booked_on=source.booked_on,
        visit_date=source.visit_date,
        sex=source.sex,
        age=source.age,
        department=source.department,
        doctor=source.doctor,
        hour=hour,
        booked_hour=source.booked_hour,
        fee=source.fee,
        reminder=source.reminder_sent,
        extra=tuple(sorted((k, float(v)) for k, v in source.extra.items())),
        no_show=not source.attended,
    )


def visit_from_row(row: HistoryRow, *, patient: str) -> Visit:
    return _visit(row, patient=patient, hour=row.hour)


def imported_visits(source: str) -> list[Visit]:
    """Every visit imported from files of `source` (a format: all its imports), as the
    model's visits, in visit order. The patient is the stored keyed hash, which counts a
    patient's earlier visits as the file's key does."""
    rows = HistoryVisit.objects.filter(source=source).order_by(
        "visit_date", "booked_at", "pk"
    )
    return [
        _visit(row, patient=row.patient_hash, hour=row.visit_hour)
        for row in rows.iterator(chunk_size=5000)
    ]
