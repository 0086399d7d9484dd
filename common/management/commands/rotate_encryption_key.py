"""manage.py rotate_encryption_key: re-encrypt every encrypted column under the new key.

Before: FIELD_ENCRYPTION_KEY=<new key>, FIELD_ENCRYPTION_OLD_KEYS=<previous key> (both in
the environment of every process, so the site reads old and new values meanwhile). After
the summary says nothing is left, the old key can be removed. Lookup hashes do not change.
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, OutputWrapper

from common import crypto
from common.key_rotation import (
    RotationNotConfigured,
    rotation_batch,
    rotation_check_keys,
    rotation_pending_count,
)


class ProgressBar:
    """A text progress bar: redrawn in place on a terminal, a line per column otherwise."""

    width = 30

    def __init__(self, out: OutputWrapper, total: int) -> None:
        self.out = out
        self.total = total
        self.done = 0
        self.live = out.isatty()

    def advance(self, count: int, label: str) -> None:
        self.done += count
        if not self.live:
            return
        filled = self.width * self.done // max(self.total, 1)
        bar = "#" * filled + "-" * (self.width - filled)
        self.out.write(f"\r[{bar}] {self.done}/{self.total} {label:<40}", ending="")
        self.out.flush()

    def column_done(self, label: str) -> None:
        if not self.live:
            self.out.write(f"{label}: {self.done}/{self.total}")

    def finish(self) -> None:
        if self.live:
            self.out.write("")


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
        columns = crypto.encrypted_columns()
        pending = {column: rotation_pending_count(column) for column in columns}
        bar = ProgressBar(self.stderr, sum(pending.values()))
        rotated = 0
        for column in columns:
            label = f"{column.model}.{column.field}"
            after_pk = 0
            while pending[column]:
                try:
                    result = rotation_batch(column, after_pk=after_pk, size=batch_size)
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
            bar.column_done(label)
        bar.finish()
        left = sum(rotation_pending_count(column) for column in columns)
        self.stdout.write(
            f"Re-encrypted {rotated} values in {len(columns)} columns under key "
            f"{crypto.key_id(crypto.current_key())}; {left} left under old keys."
        )
