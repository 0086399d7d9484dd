"""The lock order of record writes: the appointment row, then the record row.

A draft save locks the appointment (its status decides whether a record may be written)
before the record; a signature, a correction, a report and the automatic lock write a
notification row whose foreign key takes a shared lock on the appointment. Taking the
appointment first everywhere keeps two record writers from holding one row each and
waiting for the other's (an InnoDB deadlock).
"""

from appointments.models import Appointment
from records.models import VisitRecord


def record_lock(record_id: int) -> VisitRecord:
    """Lock the record's appointment, then the record; call inside a transaction."""
    appointment_id = (
        VisitRecord.objects.filter(pk=record_id)
        .values_list("appointment_id", flat=True)
        .get()
    )
    list(
        Appointment.objects.select_for_update()
        .filter(pk=appointment_id)
        .values_list("pk", flat=True)
    )
    return VisitRecord.objects.select_for_update().get(pk=record_id)
