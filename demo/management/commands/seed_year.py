"""manage.py seed_year: a year (or --days) of realistic clinic history for one hospital.

For the analytics (dashboards, the queue model's rates, the no-show model): sessions and
slots, bookings in every outcome with their payments, refunds and waitlist, ending
yesterday by default. Written in bulk in one transaction; the same --seed writes the
same history. A range that already has clinic sessions is refused unless --replace
(which removes only a history this command wrote). See demo/history.py for the story.
"""

import datetime
import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _

from common.progress import ProgressBar
from common.services import Actor
from demo import catalog, story
from demo.history_write import HistoryError, history_seed
from demo.people import DEFAULT_DEMO_PASSWORD
from demo.seeding import SeedContext
from hospitals.models import Hospital

DEFAULT_HOSPITAL = catalog.HOSPITALS[0]["name"]
MAX_DAYS = 3 * 366


def _date(text: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"--end: not a date (YYYY-MM-DD): {text!r}") from None


class Command(BaseCommand):
    help = "Seed a span of realistic clinic history for one hospital (bulk, by seed)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--hospital", default=DEFAULT_HOSPITAL, help="Its name.")
        parser.add_argument("--days", type=int, default=365)
        parser.add_argument(
            "--end", default=None, help="Last day (YYYY-MM-DD); default yesterday."
        )
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--patients", type=int, default=4000, help="Size of the patient pool."
        )
        parser.add_argument(
            "--replace",
            action="store_true",
            help="Write again over a history this command wrote in the range.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        today = timezone.localdate()
        end = _date(options["end"]) if options["end"] else today - datetime.timedelta(1)
        days = options["days"]
        if not 1 <= days <= MAX_DAYS:
            raise CommandError(f"--days must be between 1 and {MAX_DAYS}, not {days}.")
        if end >= today:
            raise CommandError(
                f"--end must be before today ({today}): history only, not {end}."
            )
        if options["patients"] < 50:
            raise CommandError("--patients must be at least 50.")
        start = end - datetime.timedelta(days=days - 1)
        hospital = self._hospital(options["hospital"])

        bar = ProgressBar(self.stdout, days, unit="days")
        try:
            tally = history_seed(
                hospital=hospital,
                start=start,
                end=end,
                seed=options["seed"],
                patients=options["patients"],
                replace=options["replace"],
                on_day=lambda day: bar.advance(1, str(day)),
            )
        except HistoryError as exc:
            raise CommandError(str(exc)) from None
        finally:
            bar.finish()
        statuses = tally.appointments
        self.stdout.write(
            _(
                "History of %(hospital)s, %(start)s to %(end)s: %(sessions)d sessions, "
                "%(slots)d slots, %(appointments)d appointments (%(completed)d seen, "
                "%(no_show)d no-shows, %(cancelled)d cancelled), %(payments)d payments, "
                "%(refunds)d refunds, %(waitlist)d waitlist entries (%(promoted)d "
                "promoted) in %(seconds).1f s."
            )
            % {
                "hospital": hospital.name,
                "start": start,
                "end": end,
                "sessions": tally.sessions,
                "slots": tally.slots,
                "appointments": sum(statuses.values()),
                "completed": statuses["completed"],
                "no_show": statuses["no_show"],
                "cancelled": statuses["cancelled"],
                "payments": tally.payments,
                "refunds": tally.refunds,
                "waitlist": sum(tally.waitlist.values()),
                "promoted": tally.waitlist["promoted"],
                "seconds": tally.seconds,
            }
        )

    def _hospital(self, name: str) -> Hospital:
        hospital = Hospital.objects.filter(name=name).first()
        if hospital is not None:
            return hospital
        if name not in {data["name"] for data in catalog.HOSPITALS}:
            raise CommandError(f"No hospital named {name!r}.")
        # One of the demo's hospitals: the demo data set first (hospitals, doctors, clinics).
        # The demo's logins get the password seed_demo would give them.
        password = os.environ.get("DEMO_ADMIN_PASSWORD") or DEFAULT_DEMO_PASSWORD
        story.story_tell(SeedContext(actor=Actor.system(), password=password))
        return Hospital.objects.get(name=name)
