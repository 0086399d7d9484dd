"""Reads of records with what their answers need joined and prefetched.

Which rows a user may see is decided in records.access; these only shape the queries.
"""

from django.db.models import Prefetch, QuerySet

from accounts.models import User
from records.models import Attachment, RecordAccess, RecordVersion, Report, VisitRecord


def record_output_queryset(
    queryset: QuerySet[VisitRecord], *, locked_only: bool
) -> QuerySet[VisitRecord]:
    """Records with their versions (only the locked ones for patients), reports and
    files prefetched: a list costs the same few queries whatever its length."""
    versions = RecordVersion.objects.select_related("author__doctor").order_by(
        "-number"
    )
    if locked_only:
        versions = versions.filter(locked_at__isnull=False)
    return (
        queryset.select_related("hospital", "doctor__department", "profile")
        .prefetch_related(
            Prefetch("versions", queryset=versions),
            Prefetch(
                "reports",
                queryset=Report.objects.order_by("-created_at", "-id").prefetch_related(
                    Prefetch("attachments", queryset=Attachment.objects.order_by("id"))
                ),
            ),
        )
        .order_by("-visit_at", "-id")
    )


def access_log_for_patient(*, user: User) -> QuerySet[RecordAccess]:
    """Who opened the records of the user's profiles, newest first."""
    return (
        RecordAccess.objects.filter(profile__user=user)
        .select_related("reader__doctor", "hospital", "profile")
        .order_by("-accessed_at", "-id")
    )


def consult_record_advice(record: VisitRecord | None) -> str | None:
    """The newest advice of an online consult's record (None without a record). Reads
    `record.versions.all()`, so a prefetch of the versions serves a whole list."""
    if record is None:
        return None
    versions = sorted(record.versions.all(), key=lambda v: v.number, reverse=True)
    return versions[0].advice if versions else None
