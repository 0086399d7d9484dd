"""manage.py release_queue_simulate: the release queue's acceptance simulation
(appointments.release_queue.simulation; the model and the figures:
docs/release_queue_simulation.md).

It prints, per seed, the scripted clients' share of the people and of the seats won without
the queue and with it, and how far the latter is from the former; then the worst deviation
against the tolerance, the admission rate the queue sustained in the rush, and the
throughput of the queue's scripts against plain GETs on the same Redis in the same run (a
benchmark figure, read on this machine, not a pass/fail).
"""

import json
from dataclasses import asdict, replace

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from appointments.release_queue.simulation.params import Params
from appointments.release_queue.simulation.runner import (
    TOLERANCE_PP,
    SeedResult,
    Study,
    simulate,
)
from appointments.stock.client import ERRORS, stock_client


def _seed_json(result: SeedResult) -> dict:
    return {
        "seed": result.seed,
        "scripted_share_of_people": result.people_share,
        "scripted_share_without_queue": result.without_queue.scripted_share,
        "scripted_share_with_queue": result.with_queue.scripted_share,
        "deviation_pp": result.deviation_pp,
        "seats_without_queue": result.without_queue.seats,
        "seats_with_queue": result.with_queue.seats,
        "wins_before_admission": result.with_queue.early_wins,
        "take_answers_with_queue": dict(result.with_queue.answers),
        "take_answers_without_queue": dict(result.without_queue.answers),
        "wall_seconds": result.seconds,
    }


def study_json(study: Study) -> dict:
    rates = [a.per_second for a in study.admission if a.per_second is not None]
    return {
        "params": asdict(study.params),
        "seeds": [_seed_json(s) for s in study.seeds],
        "summary": {
            "worst_deviation_pp": study.worst_deviation_pp,
            "tolerance_pp": TOLERANCE_PP,
            "within_tolerance": study.within_tolerance,
            "mean_share_without_queue": _mean(
                [s.without_queue.scripted_share for s in study.seeds]
            ),
            "mean_share_with_queue": _mean(
                [s.with_queue.scripted_share for s in study.seeds]
            ),
        },
        "admission": {
            "runs": [asdict(a) for a in study.admission],
            "mean_per_second": _mean(rates) if rates else None,
            "planned_per_second": study.params.rate * study.params.sessions,
        },
        "throughput": {
            name: asdict(rate) | {"ratio_to_get": rate.ratio}
            for name, rate in study.throughput.items()
        },
    }


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0


class Command(BaseCommand):
    help = (
        "Simulate a hot release with and without the release queue (排队放号): the "
        "scripted clients' share of the seats, the admission rate and the scripts' "
        "throughput, on the stock's Redis (BOOKING_STOCK_REDIS_URL)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        defaults = Params()
        parser.add_argument("--patients", type=int, default=defaults.patients)
        parser.add_argument(
            "--scripted-share", type=float, default=defaults.scripted_share
        )
        parser.add_argument("--seeds", type=int, default=10)
        parser.add_argument("--seed-start", type=int, default=1)
        parser.add_argument("--sessions", type=int, default=defaults.sessions)
        parser.add_argument(
            "--seats-per-session", type=int, default=defaults.seats_per_session
        )
        parser.add_argument(
            "--rate",
            type=float,
            default=None,
            help="places admitted per second per session (RELEASE_QUEUE_ADMIT_PER_SECOND)",
        )
        parser.add_argument(
            "--burst", type=int, default=None, help="(RELEASE_QUEUE_BURST)"
        )
        parser.add_argument(
            "--window",
            type=float,
            default=None,
            help="seconds to book once admitted (RELEASE_QUEUE_WINDOW_SECONDS)",
        )
        parser.add_argument("--json", action="store_true", help="print JSON only")

    def _params(self, options: dict) -> Params:
        if options["seeds"] < 1:
            raise CommandError("--seeds must be at least 1")
        try:
            return replace(
                Params(),
                patients=options["patients"],
                scripted_share=options["scripted_share"],
                sessions=options["sessions"],
                seats_per_session=options["seats_per_session"],
                rate=float(options["rate"] or settings.RELEASE_QUEUE_ADMIT_PER_SECOND),
                burst=options["burst"]
                if options["burst"] is not None
                else settings.RELEASE_QUEUE_BURST,
                window=float(
                    options["window"] or settings.RELEASE_QUEUE_WINDOW_SECONDS
                ),
                open_minutes=float(settings.RELEASE_QUEUE_OPEN_MINUTES),
                gate_minutes=float(settings.RELEASE_QUEUE_MINUTES),
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from None

    def handle(self, *args, **options) -> None:
        params = self._params(options)
        if not settings.BOOKING_STOCK_REDIS_URL:
            raise CommandError(
                "No Redis: set REDIS_URL (or BOOKING_STOCK_REDIS_URL); the simulation "
                "runs the queue's scripts on the stock's Redis."
            )
        try:
            stock_client().ping()
        except ERRORS as exc:
            raise CommandError(f"The stock's Redis does not answer: {exc}") from None
        seeds = range(options["seed_start"], options["seed_start"] + options["seeds"])
        if not options["json"]:
            self._head(params)
        try:
            study = simulate(
                params, seeds, progress=None if options["json"] else self._seed_line
            )
        except ERRORS as exc:
            raise CommandError(f"Redis failed during the simulation: {exc}") from None
        if options["json"]:
            self.stdout.write(json.dumps(study_json(study), indent=2))
            return
        self._summary(study)

    def _head(self, params: Params) -> None:
        self.stdout.write(
            f"Release queue simulation: {params.patients:,} patients, "
            f"{params.scripted:,} scripted ({params.scripted / params.patients:.1%}); "
            f"{params.sessions} sessions x {params.seats_per_session} seats = "
            f"{params.seats:,} seats"
        )
        self.stdout.write(
            f"queue: burst {params.burst}, {params.rate:g} places/s per session, "
            f"window {params.window:g} s; waiting room {params.open_minutes:g} min "
            f"before the release, gate {params.gate_minutes:g} min after"
        )
        self.stdout.write(
            f"{'seed':>6} {'people %':>9} {'no queue %':>11} {'queue %':>8} "
            f"{'dev pp':>7} {'lapsed':>7} {'early':>6}"
        )

    def _seed_line(self, result: SeedResult) -> None:
        queue = result.with_queue
        admitted = sum(n for _at, _session, n in queue.admissions)
        self.stdout.write(
            f"{result.seed:>6} {result.people_share:>9.2%} "
            f"{result.without_queue.scripted_share:>11.2%} "
            f"{queue.scripted_share:>8.2%} {result.deviation_pp:>+7.2f} "
            f"{admitted - queue.seats:>7} {queue.early_wins:>6}"
        )

    def _summary(self, study: Study) -> None:
        verdict = "within" if study.within_tolerance else "OUTSIDE"
        self.stdout.write(
            f"worst deviation with the queue: {study.worst_deviation_pp:.2f} pp "
            f"(tolerance ±{TOLERANCE_PP:g} pp): {verdict}"
        )
        without = _mean([s.without_queue.scripted_share for s in study.seeds])
        with_queue = _mean([s.with_queue.scripted_share for s in study.seeds])
        self.stdout.write(
            f"scripted share of seats, mean over the seeds: {without:.2%} without the "
            f"queue, {with_queue:.2%} with it (of people: "
            f"{study.seeds[0].people_share:.2%})"
        )
        params = study.params
        first = study.admission[0]
        rates = [a.per_second for a in study.admission if a.per_second is not None]
        if rates:
            rate = _mean(rates)
            pace = (
                f"then {rate:,.1f} places/s ({rate / params.sessions:.2f}/s per "
                f"session; the plan: {params.rate:g})"
            )
        else:
            pace = "the bursts covered the seats"
        self.stdout.write(
            f"admission in the rush (mean over the seeds): "
            f"{first.at_release:,} places at the release (the bursts), {pace}; the "
            f"seats' worth admitted within {first.rush_seconds:.2f} s (seed "
            f"{study.seeds[0].seed}), {first.total:,} places admitted in all"
        )
        for name, rate in study.throughput.items():
            self.stdout.write(
                f"throughput {name.upper():<6} {rate.per_second:>10,.0f} calls/s "
                f"({rate.calls:,} calls); GET in the same batches "
                f"{rate.get_per_second:>10,.0f}/s; ratio {rate.ratio:.2f}"
            )
