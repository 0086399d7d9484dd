"""manage.py rotate_encryption_key: re-encrypt every encrypted column and every registered
encrypted file set (records' attachments) under the new key.

Before: FIELD_ENCRYPTION_KEY=<new key>, FIELD_ENCRYPTION_OLD_KEYS=<previous key> (both in
the environment of every process, so the site reads old and new values meanwhile). After
the summary says nothing is left, the old key can be removed. Lookup hashes do not change.
"""

from collections.abc import Callable
from functools import partial
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from common import crypto
from common.key_rotation import (
    BatchResult,
    EncryptedFiles,
    RotationNotConfigured,
    encrypted_file_sets,
    rotation_batch,
    rotation_check_keys,
    rotation_pending_count,
)
from common.progress import ProgressBar


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted column under FIELD_ENCRYPTION_KEY, reading old "
        "values with FIELD_ENCRYPTION_OLD_KEYS. Safe to rerun."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--batch-size",
            type=int,
            default=500,
            help="Rows re-encrypted per transaction (default 500).",
        )

    def handle(self, *args: Any, batch_size: int, **options: Any) -> None:
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        try:
            rotation_check_keys()
        except RotationNotConfigured as exc:
            raise CommandError(str(exc)) from None
        # Each part: (label, how many are left, one batch after a pk).
        parts: list[tuple[str, Callable[[], int], Callable[[int], BatchResult]]] = [
            (
                f"{column.model}.{column.field}",
                partial(rotation_pending_count, column),
                partial(_column_batch, column, size=batch_size),
            )
            for column in crypto.encrypted_columns()
        ] + [
            (files.label, files.pending_count, partial(_files_batch, files, batch_size))
            for files in encrypted_file_sets()
        ]
        pending = {label: count() for label, count, _batch in parts}
        bar = ProgressBar(self.stderr, sum(pending.values()))
        rotated = 0
        for label, _count, batch in parts:
            after_pk = 0
            while pending[label]:
                try:
                    result = batch(after_pk)
                except crypto.DecryptionError as exc:
                    bar.finish()
                    raise CommandError(
                        f"Stopped after re-encrypting {rotated} values: {exc}. Is the "
                        "key it was written with in FIELD_ENCRYPTION_OLD_KEYS? Values "
                        "done so far are kept; run the command again once fixed."
                    ) from None
                if result.last_pk is None:
                    break
                rotated += result.rotated
                after_pk = result.last_pk
                bar.advance(result.rotated, label)
            bar.advance(0, label, milestone=True)
        bar.finish()
        left = sum(count() for _label, count, _batch in parts)
        self.stdout.write(
            f"Re-encrypted {rotated} values in {len(parts)} columns and file sets under "
            f"key {crypto.key_id(crypto.current_key())}; {left} left under old keys."
        )


def _column_batch(column: crypto.EncryptedColumn, after_pk: int, *, size: int):
    return rotation_batch(column, after_pk=after_pk, size=size)


def _files_batch(files: EncryptedFiles, size: int, after_pk: int) -> BatchResult:
    return files.rotate_batch(after_pk, size)
