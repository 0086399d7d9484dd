"""Re-encrypting the registered encrypted columns under the current key (key rotation).

The operator puts the new key in FIELD_ENCRYPTION_KEY and the previous one in
FIELD_ENCRYPTION_OLD_KEYS; `manage.py rotate_encryption_key` then calls these functions
column by column, batch by batch. Lookup hashes are keyed by LOOKUP_HASH_KEY, which does
not rotate, so they stay as they are.

Encrypted files (records' attachments) are not columns: the app that stores them registers
how to count and re-encrypt them with `register_encrypted_files`, and the command runs
those after the columns.

Safe while the site runs and safe to rerun: a value already under the current key is
skipped (its key id is in its prefix), and each value is replaced with a compare-and-set
UPDATE, so a value the application rewrote meanwhile (already under the current key) is
left alone. Each batch commits on its own: an interrupted run keeps what it did.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.apps import apps
from django.db import transaction
from django.db.models import QuerySet

from common import crypto


class RotationNotConfigured(Exception):
    """The keys do not describe a rotation: no old key, or the new key listed as old."""


@dataclass(frozen=True)
class BatchResult:
    rotated: int
    last_pk: int | None  # None when there was nothing left after the given pk


def rotation_check_keys() -> None:
    """Refuse to start unless a new key is configured next to the old one(s)."""
    old = crypto.old_keys()
    if not old:
        raise RotationNotConfigured(
            "No old key configured: put the new key in FIELD_ENCRYPTION_KEY and the "
            "current one in FIELD_ENCRYPTION_OLD_KEYS, then run this again."
        )
    if crypto.current_key() in old:
        raise RotationNotConfigured(
            "FIELD_ENCRYPTION_KEY is also listed in FIELD_ENCRYPTION_OLD_KEYS: the new "
            "key must differ from the old ones."
        )


def _pending(column: crypto.EncryptedColumn) -> QuerySet:
    model = apps.get_model(column.model)
    return (
        model._base_manager.exclude(**{column.field: ""})
        .exclude(**{f"{column.field}__isnull": True})
        .exclude(**{f"{column.field}__startswith": crypto.current_prefix()})
    )


def rotation_pending_count(column: crypto.EncryptedColumn) -> int:
    """How many values of the column are not yet under the current key."""
    return _pending(column).count()


@transaction.atomic
def rotation_batch(
    column: crypto.EncryptedColumn, *, after_pk: int, size: int
) -> BatchResult:
    """Re-encrypt up to `size` values of the column with a primary key above `after_pk`.

    Raises crypto.DecryptionError (naming the row) for a value no configured key opens;
    the batch is then rolled back.
    """
    model = apps.get_model(column.model)
    rows = list(
        _pending(column)
        .filter(pk__gt=after_pk)
        .order_by("pk")
        .values_list("pk", column.field)[:size]
    )
    rotated = 0
    for pk, token in rows:
        try:
            plain = crypto.decrypt(token, context=column.context)
        except crypto.DecryptionError as exc:
            raise crypto.DecryptionError(
                f"{column.model}.{column.field} of row {pk}: {exc}"
            ) from None
        fresh = crypto.encrypt(plain, context=column.context)
        # Compare-and-set: a value rewritten since the read is already current.
        rotated += model._base_manager.filter(pk=pk, **{column.field: token}).update(
            **{column.field: fresh}
        )
    return BatchResult(rotated=rotated, last_pk=rows[-1][0] if rows else None)


@dataclass(frozen=True)
class EncryptedFiles:
    """Files an app stores encrypted, for the rotation command (registered in ready())."""

    label: str  # shown by the command: "records.Attachment files"
    pending_count: Callable[[], int]
    # (after_pk, size) → BatchResult; raises crypto.DecryptionError naming the file
    rotate_batch: Callable[[int, int], BatchResult]


_FILES: dict[str, EncryptedFiles] = {}


def register_encrypted_files(files: EncryptedFiles) -> None:
    _FILES[files.label] = files


def encrypted_file_sets() -> list[EncryptedFiles]:
    return sorted(_FILES.values(), key=lambda files: files.label)
