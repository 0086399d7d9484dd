"""manage.py booking_stock: the Redis seat stock, by hand (README, "The rush").

booking_stock load        load the sessions due that are not loaded
booking_stock reconcile   load, then repair stable drift (as the periodic job does)
booking_stock rebuild     drop this database's stock and load it again from the database
"""

from django.core.management.base import BaseCommand, CommandError

from appointments.stock import keys
from appointments.stock.client import stock_client, stock_enabled
from appointments.stock.loading import stock_preload
from appointments.stock.reconcile import stock_reconcile


class Command(BaseCommand):
    help = "Load, reconcile or rebuild the Redis seat stock from the database."

    def add_arguments(self, parser) -> None:
        parser.add_argument("action", choices=["load", "reconcile", "rebuild"])
        parser.add_argument(
            "--settle",
            type=float,
            default=1.0,
            help="seconds between the reconciler's two readings",
        )

    def handle(self, *args, **options) -> None:
        if not stock_enabled():
            raise CommandError(
                "The seat stock is off: set REDIS_URL (or BOOKING_STOCK_REDIS_URL) and "
                "BOOKING_PREDEDUCT."
            )
        action = options["action"]
        if action == "rebuild":
            client = stock_client()
            dropped = 0
            for key in client.scan_iter(match=keys.pattern(), count=1000):
                dropped += client.delete(key)
            self.stdout.write(f"dropped {dropped} keys")
            action = "load"
        if action == "load":
            self.stdout.write(f"loaded {stock_preload()} sessions")
            return
        report = stock_reconcile(settle=options["settle"])
        self.stdout.write(
            f"loaded {report.loaded} sessions, checked {report.checked}, "
            f"seats repaired {report.seats_fixed or 'none'}, profiles "
            f"+{report.profiles_added} -{report.profiles_removed}"
        )
