"""manage.py booking_writer: write queued booking tickets as they come (README, "The rush").

Runs until stopped (SIGTERM or SIGINT finish the batch in hand, then exit). Several may
run: each claims its batches with SKIP LOCKED. Killed mid-batch, the batch's transaction
rolls back and its tickets stay queued for the next writer.
"""

import signal
import time

from django.core.management.base import BaseCommand

from appointments.services.ticket_writer import tickets_write


class Command(BaseCommand):
    help = "Write queued booking tickets as appointments (the rush's writer)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--batch", type=int, default=None, help="tickets per batch")
        parser.add_argument(
            "--idle-ms",
            type=int,
            default=20,
            help="pause when the queue is empty (milliseconds)",
        )
        parser.add_argument(
            "--once", action="store_true", help="drain the queue once, then exit"
        )

    def handle(self, *args, **options) -> None:
        stopping = []
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stopping.append(True))
        idle = options["idle_ms"] / 1000
        booked = refused = 0
        while not stopping:
            began = time.perf_counter()
            report = tickets_write(batch_size=options["batch"])
            booked += report.booked
            refused += report.refused
            if report.claimed:
                self.stdout.write(
                    f"batch: {report.claimed} tickets, {report.booked} booked, "
                    f"{report.refused} refused {report.refusals or ''}in "
                    f"{(time.perf_counter() - began) * 1000:.0f} ms"
                    + (" (one by one)" if report.one_by_one else "")
                )
                continue
            if options["once"]:
                break
            time.sleep(idle)
        self.stdout.write(f"booking writer stops: {booked} booked, {refused} refused")
