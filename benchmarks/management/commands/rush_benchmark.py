"""manage.py rush_benchmark (make bench): the booking rush benchmark's command line.

What a run does is described in benchmarks/rush/__init__.py; the work is in benchmarks.rush.
"""

import argparse
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from benchmarks.rush import runner
from benchmarks.rush.fixtures import LARGE_MAX_SLOTS, MAX_SLOTS
from benchmarks.rush.stock import CHAOS

DEFAULT_SEATS = 30
DEFAULT_PATIENTS = 2000
DEFAULT_CONCURRENCY = 64
DEFAULT_SLOTS = 6
DEFAULT_WORKERS = 4
DEFAULT_THREADS = 8
DEFAULT_MAX_SECONDS = 120
DEFAULT_REQUEST_TIMEOUT = 30
DEFAULT_LARGE_SEATS = 2000
DEFAULT_LARGE_PATIENTS = 2000
DEFAULT_LARGE_SLOTS = 20
DEFAULT_DURATION = 10
DEFAULT_WARMUP = 1
DEFAULT_WRK_THREADS = 2
DEFAULT_TICKET_SECONDS = 30
DEFAULT_RUNS = 1


def _chaos(value: str) -> str:
    names = [name.strip() for name in value.split(",") if name.strip()]
    unknown = sorted(set(names) - {*CHAOS, "all"})
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown fault {', '.join(unknown)}: choose from {', '.join(CHAOS)}, all"
        )
    return ",".join(names)


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise ValueError(value)
    return number


def _not_negative(value: str) -> int:
    number = int(value)
    if number < 0:
        raise ValueError(value)
    return number


class Command(BaseCommand):
    help = (
        "Rush benchmark: under gunicorn, the plain Django JSON ceiling, the catalog list "
        "and sold-out refusals (wrk), then N patients rushing a hot session and a large "
        "session, on the real booking endpoint and a naive baseline; audited."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--seats",
            type=_positive,
            default=DEFAULT_SEATS,
            help="K, seats in the hot session (30)",
        )
        parser.add_argument(
            "--patients",
            type=_positive,
            default=DEFAULT_PATIENTS,
            help="N, patients per workload, one booking each (2000)",
        )
        parser.add_argument(
            "--concurrency",
            type=_positive,
            default=DEFAULT_CONCURRENCY,
            help="C, requests in flight: the Python client's threads (64)",
        )
        parser.add_argument(
            "--slots",
            type=_positive,
            default=DEFAULT_SLOTS,
            help=f"slots the seats are spread over (6, at most {MAX_SLOTS})",
        )
        parser.add_argument(
            "--large-seats",
            type=_positive,
            default=DEFAULT_LARGE_SEATS,
            help=f"seats in the large session ({DEFAULT_LARGE_SEATS})",
        )
        parser.add_argument(
            "--large-patients",
            type=_positive,
            default=DEFAULT_LARGE_PATIENTS,
            help=f"patients per large-session workload, one booking each "
            f"({DEFAULT_LARGE_PATIENTS})",
        )
        parser.add_argument(
            "--large-slots",
            type=_positive,
            default=DEFAULT_LARGE_SLOTS,
            help=f"10-minute slots of the large session ({DEFAULT_LARGE_SLOTS}, at most "
            f"{LARGE_MAX_SLOTS})",
        )
        parser.add_argument(
            "--duration",
            type=_positive,
            default=DEFAULT_DURATION,
            help=f"seconds of each wrk phase: ceiling, catalog, refusals "
            f"({DEFAULT_DURATION})",
        )
        parser.add_argument(
            "--warmup",
            type=_not_negative,
            default=DEFAULT_WARMUP,
            help=f"unmeasured seconds of wrk before each wrk phase ({DEFAULT_WARMUP})",
        )
        parser.add_argument(
            "--wrk-threads",
            type=_positive,
            default=DEFAULT_WRK_THREADS,
            help=f"wrk's threads ({DEFAULT_WRK_THREADS})",
        )
        parser.add_argument(
            "--wrk-connections",
            type=_positive,
            default=None,
            help="wrk's connections (default: --concurrency)",
        )
        parser.add_argument(
            "--ticket-seconds",
            type=_positive,
            default=DEFAULT_TICKET_SECONDS,
            help=f"how long to poll booking tickets (202 answers) after a phase "
            f"({DEFAULT_TICKET_SECONDS})",
        )
        parser.add_argument(
            "--chaos",
            type=_chaos,
            default="",
            help="faults while the real endpoint is rushed, comma-separated: "
            + ", ".join(CHAOS)
            + ", or all (benchmarks/rush/stock.py)",
        )
        parser.add_argument(
            "--runs",
            type=_positive,
            default=DEFAULT_RUNS,
            help="runs, each with new data and a new server; more than one also prints "
            "the median of each figure (1)",
        )
        parser.add_argument(
            "--workers",
            type=_positive,
            default=DEFAULT_WORKERS,
            help="gunicorn worker processes (4)",
        )
        parser.add_argument(
            "--threads",
            type=_positive,
            default=DEFAULT_THREADS,
            help="threads per gunicorn worker (8)",
        )
        parser.add_argument(
            "--max-seconds",
            type=_positive,
            default=DEFAULT_MAX_SECONDS,
            help="time limit of each booking phase (120)",
        )
        parser.add_argument(
            "--request-timeout",
            type=_positive,
            default=DEFAULT_REQUEST_TIMEOUT,
            help="timeout of one request in seconds (30)",
        )
        parser.add_argument(
            "--database-url",
            default="",
            help="MySQL/MariaDB URL to use instead of DATABASE_URL; without either, a temporary SQLite file",
        )
        parser.add_argument(
            "--baseline-first",
            action="store_true",
            help="run each naive booking phase before the real one (to see order effects)",
        )
        parser.add_argument(
            "--json-output", default="", help="also write the figures to this JSON file"
        )
        parser.add_argument(
            "--keep-data",
            action="store_true",
            help="keep the benchmark's rows (and the temporary directory)",
        )
        parser.add_argument(
            "--child",
            action="store_true",
            help="(internal) run in the prepared environment",
        )
        parser.add_argument("--tag", default="", help="(internal)")
        parser.add_argument("--workdir", default="", help="(internal)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["slots"] > MAX_SLOTS:
            raise CommandError(f"--slots must be at most {MAX_SLOTS}")
        if options["large_slots"] > LARGE_MAX_SLOTS:
            raise CommandError(f"--large-slots must be at most {LARGE_MAX_SLOTS}")
        if options["child"]:
            runner.run(options, self.stdout)
        else:
            runner.spawn(options, self.stdout)
