"""The access log: every reading of a record by a doctor or hospital staff."""

from django.utils import timezone

from common.services import Actor
from records.models import Attachment, RecordAccess, VisitRecord


def record_access_write(
    *, actor: Actor, record: VisitRecord, attachment: Attachment | None = None
) -> RecordAccess:
    """Log that `actor` opened `record` (or one of its attachments). Patients reading
    their own records are not logged: the log is what others saw of them."""
    user = actor.user
    return RecordAccess.objects.create(
        record=record,
        attachment=attachment,
        what=RecordAccess.What.ATTACHMENT if attachment else RecordAccess.What.RECORD,
        reader=user,
        role=user.role,
        hospital_id=user.hospital_id,
        profile_id=record.profile_id,
        ip=actor.ip,
        accessed_at=timezone.now(),
    )
