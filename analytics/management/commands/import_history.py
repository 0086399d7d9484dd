"""manage.py import_history FILE --format kaggle-noshow|generic

Reads and checks the whole file first; a bad row stops the import with its line number and
writes nothing. Then every visit is written in one transaction. Importing the same file
again changes nothing; visits already stored (same source and row key) are not duplicated.
"""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from analytics.history.formats import FORMATS, FileError, parse
from analytics.history.services import history_import_write
from common.progress import ProgressBar
from common.services import Actor

GENERIC_HELP = (
    "generic: a UTF-8 CSV with a header and the columns patient_key, sex (F/M or empty), "
    "birth_date (YYYY-MM-DD) or age, booked_at (ISO 8601; no offset = the project's time "
    "zone), visit_date (YYYY-MM-DD), department, attended (1/0), reminder_sent (1/0), "
    "and optionally visit_hour (0-23), doctor, fee (integer fen), visit_id."
)


def file_error(
    error: FileError, *, outcome: str = "Nothing was imported."
) -> CommandError:
    where = f"line {error.line}: " if error.line else ""
    return CommandError(f"{where}{error.reason} {outcome}")


class Command(BaseCommand):
    help = (
        "Import visit history from a file. kaggle-noshow: the public no-show data set as "
        "published (the .zip or its CSV). " + GENERIC_HELP
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file")
        parser.add_argument("--format", required=True, choices=FORMATS)
        parser.add_argument(
            "--by",
            default="",
            help="Username of the staff member importing (recorded).",
        )

    def handle(
        self, *args: Any, file: str, format: str, by: str, **options: Any
    ) -> None:
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"{file}: no such file")
        user = None
        if by:
            user = User.objects.filter(username=by, is_staff=True).first()
            if user is None:
                raise CommandError(f"--by {by}: no staff user with that name")
        bar = ProgressBar(self.stderr, unit="lines")
        try:
            parsed = parse(str(path), format, progress=bar)
        except FileError as error:
            bar.finish()
            raise file_error(error) from None
        bar.advance(0, "read", milestone=True)
        bar.finish()
        write_bar = ProgressBar(self.stderr, len(parsed.rows), unit="visits")
        result = history_import_write(
            parsed=parsed,
            fmt=format,
            file_name=path.name,
            actor=Actor(user=user),
            progress=write_bar,
        )
        write_bar.finish()
        record = result.history_import
        if not result.is_new:
            self.stdout.write(
                f"{path.name} was already imported on {record.imported_at:%Y-%m-%d} "
                f"(import #{record.pk}); nothing changed."
            )
            return
        self.stdout.write(
            f"Imported {record.created_rows} new visits from {path.name} "
            f"({record.existing_rows} already there, {len(record.skipped_rows)} skipped: "
            f"visit day before the booking day), visit days {record.first_visit} to "
            f"{record.last_visit}."
        )
