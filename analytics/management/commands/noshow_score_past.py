"""manage.py noshow_score_past: give past bookings without a risk the active model's risk."""

import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from analytics.noshow.backfill import past_bookings_score
from common.progress import ProgressBar


class Command(BaseCommand):
    help = (
        "Score past bookings that have no no-show risk (history from before a model was "
        "active) with the active model, for the dashboards' no-show rate by risk band. "
        "Contacts nobody. Safe to rerun: scored bookings are left as they are."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--since", default="", help="YYYY-MM-DD: only visits from this day on."
        )

    def handle(self, *args: Any, since: str, **options: Any) -> None:
        day = None
        if since:
            try:
                day = datetime.date.fromisoformat(since)
            except ValueError:
                raise CommandError(f"--since {since!r}: expected YYYY-MM-DD") from None
        bar = ProgressBar(self.stderr, unit="bookings")
        written = past_bookings_score(since=day, progress=bar)
        bar.finish()
        if written is None:
            raise CommandError(
                "No no-show model is active: train one (noshow_train --activate) first."
            )
        self.stdout.write(f"Scored {written} past bookings.")
