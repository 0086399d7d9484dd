"""Seeds, shares and the queue's measured pace: what manage.py release_queue_simulate prints.

Each seed is one crowd (patients.py) booking twice: without the queue and with it. The
acceptance: with the queue, the scripts' share of the seats stays within TOLERANCE_PP
points of their share of the people, on every seed.

The admission rate is read off the run with the queue, in the rush: from the release until
every session had admitted as many places as it has seats (while the pace, not the seats,
decides), the places admitted per virtual second after the bursts. The throughput is the wall clock of
the very calls the runs made (JOIN and STATUS, and the stock's TAKE), against plain GETs
sent in the same batches right after: a benchmark figure to read, never to assert.
"""

import random
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from appointments.release_queue.simulation.calls import Calls, Timing, get_baseline
from appointments.release_queue.simulation.events import RunResult
from appointments.release_queue.simulation.layout import namespace, users_write
from appointments.release_queue.simulation.params import Params
from appointments.release_queue.simulation.patients import patients_make
from appointments.release_queue.simulation.with_queue import run_with_queue
from appointments.release_queue.simulation.without_queue import run_without_queue

TOLERANCE_PP = 2.0


@dataclass(frozen=True)
class SeedResult:
    seed: int
    people_share: float
    without_queue: RunResult
    with_queue: RunResult
    seconds: float  # wall clock of the seed's two runs

    @property
    def deviation_pp(self) -> float:
        return (self.with_queue.scripted_share - self.people_share) * 100


@dataclass(frozen=True)
class AdmissionRate:
    # From the release until every session admitted its seats' worth of places.
    rush_seconds: float
    at_release: int  # places admitted at the release itself (the bursts)
    after_release: int  # places admitted after it, within the rush
    total: int  # places admitted over the whole run (lapsed passes' seats again)
    # Admissions per virtual second after the bursts, all sessions together: each
    # session's places after its first admission past the release, over the time from
    # that admission to its last in the rush (the pace, not the clock's first tick).
    per_second: float | None


@dataclass(frozen=True)
class Rate:
    calls: int
    per_second: float
    get_per_second: float  # GETs in the same batches

    @property
    def ratio(self) -> float:
        return self.per_second / self.get_per_second if self.get_per_second else 0.0


@dataclass
class Study:
    params: Params
    seeds: list[SeedResult] = field(default_factory=list)
    admission: list[AdmissionRate] = field(default_factory=list)
    throughput: dict[str, Rate] = field(default_factory=dict)

    @property
    def worst_deviation_pp(self) -> float:
        return max((abs(s.deviation_pp) for s in self.seeds), default=0.0)

    @property
    def within_tolerance(self) -> bool:
        return bool(self.seeds) and self.worst_deviation_pp <= TOLERANCE_PP


def admission_rate(params: Params, result: RunResult) -> AdmissionRate:
    """The rush of one run with the queue (see the module's docstring)."""
    done = [0] * params.sessions
    paced: list[list[tuple[float, int]]] = [[] for _ in range(params.sessions)]
    rush_end = [0.0] * params.sessions
    at_release = total = 0
    for at, session, admitted in sorted(result.admissions):
        total += admitted
        if done[session] >= params.seats_per_session:
            continue
        done[session] += admitted
        rush_end[session] = at
        if at <= 0:
            at_release += admitted
        else:
            paced[session].append((at, admitted))
    rate = 0.0
    for admissions in paced:
        if len(admissions) > 1:
            span = admissions[-1][0] - admissions[0][0]
            rate += sum(n for _at, n in admissions[1:]) / span
    after = sum(n for admissions in paced for _at, n in admissions)
    return AdmissionRate(
        rush_seconds=max(rush_end, default=0.0),
        at_release=at_release,
        after_release=after,
        total=total,
        per_second=rate if any(len(a) > 1 for a in paced) else None,
    )


def seed_run(
    params: Params, seed: int, calls: Calls, *, first_session: int = 1
) -> SeedResult:
    """The seed's crowd without the queue, then with it, on sessions of their own from
    `first_session` on (the users written already: layout.users_write)."""
    began = time.perf_counter()
    master = random.Random(seed)
    crowd = patients_make(params, master)
    without_rng = random.Random(master.getrandbits(64))
    with_rng = random.Random(master.getrandbits(64))
    without = run_without_queue(
        params, crowd, calls, without_rng, first_session=first_session
    )
    with_queue = run_with_queue(
        params, crowd, calls, with_rng, first_session=first_session + params.sessions
    )
    return SeedResult(
        seed=seed,
        people_share=params.scripted / params.patients,
        without_queue=without,
        with_queue=with_queue,
        seconds=time.perf_counter() - began,
    )


def _rate(timing: Timing) -> Rate:
    baseline = get_baseline(timing.batches)
    return Rate(timing.calls, timing.per_second, baseline.per_second)


def simulate(params: Params, seeds: Iterable[int], progress=None) -> Study:
    """Every seed, then the throughput of the calls made against GETs."""
    study = Study(params)
    calls = Calls()
    with namespace():
        users_write(params.patients)
        for n, seed in enumerate(seeds):
            result = seed_run(
                params, seed, calls, first_session=1 + 2 * n * params.sessions
            )
            study.seeds.append(result)
            study.admission.append(admission_rate(params, result.with_queue))
            if progress is not None:
                progress(result)
        study.throughput = {
            "status": _rate(calls.status),
            "join": _rate(calls.join),
            "take": _rate(calls.take),
        }
    return study
