"""manage.py reconcile --channel wechat|alipay --date YYYY-MM-DD --file BILL"""

import datetime
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from billing.bills import PARSERS, BillError, read_bill_text
from billing.services.reconciliation import (
    reconciliation_match,
    reconciliation_report_save,
)
from common.progress import ProgressBar
from common.services import Actor


def _date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--date {value!r}: expected YYYY-MM-DD") from None


class Command(BaseCommand):
    help = (
        "Match a channel's daily bill (WeChat Pay trade bill or Alipay business detail CSV) "
        "with our paid orders and refunds. Stores one report per channel and day; a rerun "
        "replaces it. A malformed file stops with its line number and writes nothing."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--channel", required=True, choices=sorted(PARSERS))
        parser.add_argument("--date", required=True, help="the bill's day, YYYY-MM-DD")
        parser.add_argument("--file", required=True, help="the bill file (CSV)")

    def handle(self, *args, channel: str, date: str, file: str, **options) -> None:
        day = _date(date)
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"{file}: no such file")
        try:
            rows = PARSERS[channel](read_bill_text(path))
            self.stderr.write(f"{path.name}: {len(rows)} rows, matching...")
            result = reconciliation_match(
                channel=channel,
                date=day,
                rows=rows,
                progress=ProgressBar(self.stderr, unit="rows"),
            )
        except BillError as exc:
            raise CommandError(
                f"{path.name} line {exc.line}: {exc.reason}. Nothing was written."
            ) from None
        report = reconciliation_report_save(
            channel=channel,
            date=day,
            file_name=path.name,
            result=result,
            actor=Actor.system(),
        )
        self.stdout.write(
            f"{channel} {day}: {report.matched} matched, "
            f"{report.missing_locally} missing here, "
            f"{report.missing_at_channel} missing at the channel, "
            f"{report.amount_mismatches} amount mismatches."
        )
