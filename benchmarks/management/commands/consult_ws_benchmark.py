"""manage.py consult_ws_benchmark (make bench-ws): the consult WebSocket benchmark.

What a run does is described in benchmarks/consult_ws/__init__.py; the work is in
benchmarks.consult_ws.
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from benchmarks.consult_ws import runner


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise ValueError(value)
    return number


class Command(BaseCommand):
    help = (
        "Consult WebSocket benchmark: N open consults, a patient and a doctor socket "
        "each, talking through daphne and the configured channel layer, against the "
        "same through the in-memory layer."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--consults", type=_positive, default=200, help="open consults (200)"
        )
        parser.add_argument(
            "--messages",
            type=_positive,
            default=20,
            help="messages per consult, patient and doctor in turn (20)",
        )
        parser.add_argument(
            "--timeout",
            type=float,
            default=30.0,
            help="seconds a message may take to arrive before it counts as lost (30)",
        )
        parser.add_argument(
            "--database-url",
            default="",
            help="MySQL/MariaDB URL instead of DATABASE_URL; without either, a temporary SQLite file",
        )
        parser.add_argument(
            "--json-output", default="", help="also write the figures to this JSON file"
        )
        parser.add_argument(
            "--keep-data", action="store_true", help="keep the benchmark's rows"
        )
        parser.add_argument("--child", action="store_true", help="(internal)")
        parser.add_argument("--tag", default="", help="(internal)")
        parser.add_argument("--workdir", default="", help="(internal)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["child"]:
            runner.run(options, self.stdout)
        else:
            runner.spawn(options, self.stdout)
