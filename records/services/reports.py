"""Lab and imaging reports: checked results and files, written in one transaction."""

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from appointments.services.notify import appointment_notify
from common.errors import DomainError
from common.services import Actor, operation_log_write
from records.models import Attachment, Report, VisitRecord
from records.services.attachments import (
    CheckedFile,
    StoredFile,
    attachment_check,
    attachment_discard,
    attachment_store,
)
from records.services.locking import record_lock

RESULT_FIELDS = ("item", "value", "unit", "reference_range", "flag")


def results_normalise(results: list[dict]) -> list[dict]:
    flags = set(Report.Flag.values)
    normalised = []
    for position, result in enumerate(results):
        row = {key: str(result.get(key) or "").strip() for key in RESULT_FIELDS}
        if not row["item"] or row["flag"] not in flags:
            raise DomainError(
                "invalid_result",
                _("Each result needs an item and a flag (H, L, N or abnormal)."),
                fields={"results": {str(position): [str(_("Invalid result."))]}},
            )
        normalised.append(row)
    return normalised


def report_add(
    *,
    actor: Actor,
    record: VisitRecord,
    kind: str,
    title: str,
    conclusion: str = "",
    results: list[dict],
    files: list[tuple[str, bytes]],
) -> Report:
    """Add a report with its results and files (name, content) to a record.

    Everything is checked before anything is written; the files are stored (encrypted)
    before the rows, and removed again if the transaction does not commit.
    """
    if kind not in Report.Kind.values:
        raise DomainError(
            "invalid_report_kind",
            _("Unknown report kind."),
            fields={"kind": [str(_("Invalid choice."))]},
        )
    results = results_normalise(results)
    checked: list[CheckedFile] = [
        attachment_check(name=name, content=content, position=position)
        for position, (name, content) in enumerate(files)
    ]
    stored: list[StoredFile] = []
    try:
        for file in checked:
            stored.append(attachment_store(file.content))
        with transaction.atomic():
            record = record_lock(record.pk)
            report = Report(record=record, kind=kind, reported_by=actor.user)
            report.title = title.strip()
            report.conclusion = conclusion.strip()
            report.results = results
            report.full_clean()
            report.save()
            for file, kept in zip(checked, stored, strict=True):
                attachment = Attachment(
                    report=report,
                    storage_name=kept.name,
                    key_id=kept.key_id,
                    content_type=file.content_type,
                    size=len(file.content),
                )
                attachment.original_name = file.name
                attachment.full_clean()
                attachment.save()
            operation_log_write(
                actor=actor,
                action="report.added",
                obj=report,
                summary=f"record {record.pk}, {len(stored)} files",
            )
            if record.appointment_id is not None:  # an online consult's has none
                appointment_notify(
                    appointment=record.appointment,
                    event="report_ready",
                    dedupe_key=f"report:{report.pk}:ready",
                )
    except BaseException:
        for kept in stored:
            attachment_discard(kept.name)
        raise
    return report
