"""Writing an imported history file: all of it in one transaction, or nothing."""

from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction

from analytics.history.formats import ParsedFile
from analytics.history.visits import patient_hash
from analytics.models import HistoryImport, HistoryVisit
from common.services import Actor, operation_log_write

BATCH = 2000


@dataclass(frozen=True)
class ImportResult:
    history_import: HistoryImport
    is_new: bool  # False: the same file was imported before; nothing was written


def _existing_keys(source: str, keys: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(keys), BATCH):
        found.update(
            HistoryVisit.objects.filter(
                source=source, row_key__in=keys[start : start + BATCH]
            ).values_list("row_key", flat=True)
        )
    return found


def _hash(cache: dict[str, str], source: str, key: str) -> str:
    if key not in cache:
        cache[key] = patient_hash(source, key)
    return cache[key]


@transaction.atomic
def history_import_write(
    *,
    parsed: ParsedFile,
    fmt: str,
    file_name: str,
    actor: Actor,
    progress: Callable[[int, int], None] | None = None,
) -> ImportResult:
    """Store a parsed file's visits. The same file again changes nothing; a file that
    overlaps an earlier one adds only the visits not yet stored (source + row key)."""
    earlier = HistoryImport.objects.filter(
        format=fmt, file_sha256=parsed.sha256
    ).first()
    if earlier is not None:
        return ImportResult(history_import=earlier, is_new=False)
    existing = _existing_keys(fmt, [row.row_key for row in parsed.rows])
    new_rows = [row for row in parsed.rows if row.row_key not in existing]
    days = [row.visit_date for row in parsed.rows]
    record = HistoryImport(
        format=fmt,
        file_name=file_name[:255],
        file_sha256=parsed.sha256,
        row_count=len(parsed.rows) + len(parsed.skipped),
        created_rows=len(new_rows),
        existing_rows=len(parsed.rows) - len(new_rows),
        skipped_rows=[[line, reason] for line, reason in parsed.skipped],
        first_visit=min(days),
        last_visit=max(days),
        imported_by=actor.user,
    )
    record.full_clean()
    record.save()
    hashes: dict[str, str] = {}
    for start in range(0, len(new_rows), BATCH):
        batch = new_rows[start : start + BATCH]
        HistoryVisit.objects.bulk_create(
            [
                HistoryVisit(
                    history_import=record,
                    source=fmt,
                    row_key=row.row_key,
                    patient_hash=_hash(hashes, fmt, row.patient_key),
                    sex=row.sex,
                    age=row.age,
                    booked_at=row.booked_at,
                    booked_on=row.booked_on,
                    booked_hour=row.booked_hour,
                    visit_date=row.visit_date,
                    visit_hour=row.hour,
                    department=row.department,
                    doctor=row.doctor,
                    fee=row.fee,
                    attended=row.attended,
                    reminder_sent=row.reminder_sent,
                    extra=row.extra,
                )
                for row in batch
            ]
        )
        if progress:
            progress(start + len(batch), len(new_rows))
    operation_log_write(
        actor=actor,
        action="history.imported",
        obj=record,
        summary=f"{fmt} {record.created_rows} new, {record.existing_rows} existing, "
        f"{len(parsed.skipped)} skipped",
    )
    return ImportResult(history_import=record, is_new=True)
