"""Running the policies over seeds: one policy, all of them, a grid, or the release test."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

import numpy as np
from django.utils.translation import gettext as _

from analytics.errors import ErrorCode
from analytics.simulation.engine import run_session
from analytics.simulation.noshow import ReleaseAssumptions, booked_attendance
from analytics.simulation.policies import (
    ClinicConfig,
    Policy,
    draw_session,
    walk_in_arrivals,
)
from analytics.simulation.results import (
    FIGURES,
    Estimate,
    PolicyResult,
    SeedFigures,
    estimate,
    summarise,
)
from common.errors import DomainError

MAX_SEEDS = 1000
MAX_SESSIONS_PER_SEED = 1000


def _check_counts(seeds: int, sessions_per_seed: int) -> None:
    for value, upper, name in (
        (seeds, MAX_SEEDS, _("seeds")),
        (sessions_per_seed, MAX_SESSIONS_PER_SEED, _("sessions per seed")),
    ):
        if (
            isinstance(value, bool)
            or not isinstance(value, int)
            or not 1 <= value <= upper
        ):
            raise DomainError(
                ErrorCode.INVALID_SIMULATION_INPUT,
                _("The number of %(name)s must be a whole number from 1 to %(max)d.")
                % {"name": name, "max": upper},
            )


def _session(
    config: ClinicConfig,
    policy: Policy,
    rng: np.random.Generator,
    release: ReleaseAssumptions | None,
) -> tuple[dict[str, float], np.ndarray]:
    draws = draw_session(config, rng)
    counts = {"no_shows": 0, "wasted_seats": 0, "released": 0, "wrongly_released": 0}
    if policy == Policy.WALK_IN:
        patients = walk_in_arrivals(
            draws.stream_times, draws.stream_service, priority=0
        )
    else:
        attendance = booked_attendance(
            draws, release if policy == Policy.TIMED_SLOTS else None
        )
        counts = {
            "no_shows": attendance.no_shows,
            "wasted_seats": attendance.wasted_seats,
            "released": attendance.released,
            "wrongly_released": attendance.wrongly_released,
        }
        patients = attendance.arrivals
        if policy == Policy.APPOINTMENTS_FIRST:
            patients += walk_in_arrivals(
                draws.walk_in_times, draws.walk_in_service, priority=1
            )
    run = run_session(
        patients, doctors=config.doctors, session_minutes=config.session_minutes
    )
    values = {
        "seen": float(run.seen),
        "idle": run.idle_in_session,
        "utilisation": run.busy_in_session / (config.doctors * config.session_minutes),
        "overtime": run.overtime,
        **{name: float(value) for name, value in counts.items()},
    }
    return values, run.waits


def _seed(
    config: ClinicConfig,
    policy: Policy,
    *,
    base_seed: int,
    seed: int,
    sessions: int,
    release: ReleaseAssumptions | None,
) -> SeedFigures:
    totals = dict.fromkeys(FIGURES, 0.0)
    waits = []
    for session in range(sessions):
        # The same (base, seed, session) gives the same patients under every policy.
        rng = np.random.default_rng(np.random.SeedSequence([base_seed, seed, session]))
        values, session_waits = _session(config, policy, rng, release)
        for name, value in values.items():
            totals[name] += value
        waits.append(session_waits)
    all_waits = np.concatenate(waits)
    per_session = {name: value / sessions for name, value in totals.items()}
    per_session["mean_wait"] = float(all_waits.mean()) if all_waits.size else 0.0
    return SeedFigures(values=per_session, waits=all_waits)


def simulate_policy(
    config: ClinicConfig,
    policy: Policy | str,
    *,
    seeds: int = 20,
    base_seed: int = 2026,
    sessions_per_seed: int = 1,
    release: ReleaseAssumptions | None = None,
) -> PolicyResult:
    """The policy's figures over `seeds` independent seeds (release: timed slots only)."""
    _check_counts(seeds, sessions_per_seed)
    policy = Policy(policy)
    per_seed = [
        _seed(
            config,
            policy,
            base_seed=base_seed,
            seed=seed,
            sessions=sessions_per_seed,
            release=release,
        )
        for seed in range(seeds)
    ]
    return summarise(policy, per_seed, sessions_per_seed=sessions_per_seed)


def simulate_policies(
    config: ClinicConfig,
    policies: Iterable[Policy | str] = tuple(Policy),
    **kwargs,
) -> list[PolicyResult]:
    return [simulate_policy(config, policy, **kwargs) for policy in policies]


@dataclass(frozen=True)
class GridCell:
    slot_minutes: float
    overbook: float
    results: list[PolicyResult]  # appointments-first and timed slots (the walk-in
    # policy has no slots: it is simulated once, outside the grid)

    @property
    def overbook_percent(self) -> int:
        return round(self.overbook * 100)


def simulate_grid(
    config: ClinicConfig,
    *,
    slot_lengths: Iterable[float],
    overbook_levels: Iterable[float],
    seeds: int,
    base_seed: int = 2026,
) -> list[GridCell]:
    cells = []
    for slot_minutes in slot_lengths:
        for overbook in overbook_levels:
            cell_config = replace(config, slot_minutes=slot_minutes, overbook=overbook)
            cells.append(
                GridCell(
                    slot_minutes=slot_minutes,
                    overbook=overbook,
                    results=simulate_policies(
                        cell_config,
                        (Policy.APPOINTMENTS_FIRST, Policy.TIMED_SLOTS),
                        seeds=seeds,
                        base_seed=base_seed,
                    ),
                )
            )
    return cells


# -- the no-show model in use, measured ---------------------------------------------------

RELEASE_FIGURES = (
    "seen",
    "wasted_seats",
    "idle",
    "wrongly_released",
    "mean_wait",
    "overtime",
)


@dataclass(frozen=True)
class ReleaseComparison:
    seeds: int
    sessions_per_seed: int
    assumptions: ReleaseAssumptions
    without: dict[str, Estimate]  # per session, timed slots without the model
    with_model: dict[str, Estimate]  # the same sessions with reminders and release
    difference: dict[str, Estimate]  # with − without, paired seed by seed

    def as_json(self) -> dict:
        return {
            "seeds": self.seeds,
            "sessions_per_seed": self.sessions_per_seed,
            "assumptions": self.assumptions.__dict__,
            **{
                part: {name: value.as_json() for name, value in figures.items()}
                for part, figures in (
                    ("without", self.without),
                    ("with", self.with_model),
                    ("difference", self.difference),
                )
            },
        }


def compare_release(
    config: ClinicConfig,
    assumptions: ReleaseAssumptions,
    *,
    seeds: int = 20,
    sessions_per_seed: int = 50,
    base_seed: int = 2026,
    progress: Callable[[int, int], None] | None = None,
) -> ReleaseComparison:
    """Timed slots with and without the no-show model in use, on the same patients."""
    _check_counts(seeds, sessions_per_seed)
    without, with_model = [], []
    for seed in range(seeds):
        for part, release in ((without, None), (with_model, assumptions)):
            part.append(
                _seed(
                    config,
                    Policy.TIMED_SLOTS,
                    base_seed=base_seed,
                    seed=seed,
                    sessions=sessions_per_seed,
                    release=release,
                ).values
            )
        if progress is not None:
            progress(seed + 1, seeds)

    def column(part: list[dict[str, float]], name: str) -> np.ndarray:
        return np.array([values[name] for values in part])

    return ReleaseComparison(
        seeds=seeds,
        sessions_per_seed=sessions_per_seed,
        assumptions=assumptions,
        without={name: estimate(column(without, name)) for name in RELEASE_FIGURES},
        with_model={
            name: estimate(column(with_model, name)) for name in RELEASE_FIGURES
        },
        difference={
            name: estimate(column(with_model, name) - column(without, name))
            for name in RELEASE_FIGURES
        },
    )
