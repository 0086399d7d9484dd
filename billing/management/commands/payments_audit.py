"""manage.py payments_audit [--date YYYY-MM-DD]: the daily abnormal-payment report."""

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from billing.management.commands.reconcile import ProgressBar
from billing.services.audit import payments_audit_run


def _date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--date {value!r}: expected YYYY-MM-DD") from None


class Command(BaseCommand):
    help = (
        "Check one day's payments for abnormal patterns (amounts that differ from the "
        "order, repeated unpaid orders from one account or IP, refunds near or over the "
        "payment, bursts of orders) and store each hit as a payment alert, once. "
        "Defaults to yesterday."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--date", help="the day to check, YYYY-MM-DD (default: yesterday)"
        )

    def handle(self, *args, date: str | None = None, **options) -> None:
        if date is None:
            day = timezone.localdate() - datetime.timedelta(days=1)
        else:
            day = _date(date)
        self.stderr.write(f"Auditing payments of {day}...")
        summary = payments_audit_run(
            day=day, progress=ProgressBar(self.stderr, unit="rules")
        )
        counts = ", ".join(f"{rule} {count}" for rule, count in summary.hits.items())
        self.stdout.write(
            f"{day}: {summary.total} hits ({counts}); {summary.new} new alerts."
        )
