"""manage.py stock_benchmark: the seat stock's Redis alone (benchmarks/stock_redis)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from benchmarks.stock_redis import runner


class Command(BaseCommand):
    help = (
        "The seat stock's TAKE script under redis-benchmark (sold out, peek, take) "
        "against a plain GET in the same run, on BOOKING_STOCK_REDIS_URL."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--requests",
            type=int,
            default=200_000,
            help="commands per phase (200,000)",
        )

    def handle(self, *args, **options) -> None:
        url = settings.BOOKING_STOCK_REDIS_URL
        if not url:
            raise CommandError("set REDIS_URL (or BOOKING_STOCK_REDIS_URL): no Redis")
        if options["requests"] < 1:
            raise CommandError("--requests must be at least 1")
        try:
            phases, taken = runner.run(url=url, requests=options["requests"])
        except runner.BenchmarkError as exc:
            raise CommandError(str(exc)) from None
        baseline = phases[0].ops_per_second
        self.stdout.write(
            f"Redis stock benchmark: {options['requests']:,} commands per phase, "
            f"{runner.CONNECTIONS} connections, {runner.PIPELINE} pipelined"
        )
        self.stdout.write(f"{'phase':<10} {'ops/s':>12} {'/ get':>7}")
        for phase in phases:
            self.stdout.write(
                f"{phase.name:<10} {phase.ops_per_second:>12,.0f} "
                f"{phase.ops_per_second / baseline:>7.2f}"
            )
        self.stdout.write(
            f"take phase: {taken:,} seats taken, each profile marked once"
        )
