import datetime

from django.core.management.base import BaseCommand, CommandError, CommandParser

from common.errors import DomainError
from scheduling.services import MAX_GENERATE_DAYS, sessions_generate


def _date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise CommandError(
            f"--today {value!r}: expected a date as YYYY-MM-DD"
        ) from None


class Command(BaseCommand):
    help = (
        "Create clinic sessions from the weekly templates, from today to the booking "
        "window's end + 1 day. Sessions that exist are skipped, so it is safe to rerun."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--days",
            type=str,
            help=f"How many days ahead (0..{MAX_GENERATE_DAYS}) instead of each hospital's window + 1.",
        )
        parser.add_argument(
            "--today",
            type=str,
            help="Generate as if today were this date (YYYY-MM-DD).",
        )

    def handle(self, *args, days: str | None, today: str | None, **options) -> None:
        day_count = None
        if days is not None:
            try:
                day_count = int(days)
            except ValueError:
                raise CommandError(
                    f"--days {days!r}: expected a whole number"
                ) from None
            if not 0 <= day_count <= MAX_GENERATE_DAYS:
                raise CommandError(
                    f"--days {day_count}: must be between 0 and {MAX_GENERATE_DAYS}"
                )
        start = _date(today) if today is not None else None
        try:
            created = sessions_generate(today=start, days=day_count)
        except DomainError as exc:
            raise CommandError(str(exc.message)) from None
        self.stdout.write(f"Created {created} clinic sessions.")
