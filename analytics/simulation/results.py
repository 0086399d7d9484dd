"""What a simulation reports: each seed's figures, and their mean with a 95 % interval.

A seed is one independent replication (one or more sessions, `sessions_per_seed`); the
interval is Student's t over the seeds' figures, so it says how far the mean could move
with other seeds, not how much one session varies.
"""

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

# The figures each seed reports (per session: a mean over the seed's sessions).
FIGURES = (
    "mean_wait",  # minutes, over every patient seen
    "utilisation",  # share of the doctors' session time spent with patients
    "overtime",  # minutes the last doctor works past the session's end
    "seen",  # patients seen
    "idle",  # doctor-minutes without a patient inside the session
    "no_shows",  # booked patients who did not come
    "wasted_seats",  # booked seats nobody came for
    "released",  # bookings released to the waitlist
    "wrongly_released",  # released patients who would have come
)


@dataclass(frozen=True)
class Estimate:
    mean: float
    low: float  # 95 % interval over the seeds
    high: float

    @property
    def half_width(self) -> float:
        return (self.high - self.low) / 2

    def as_json(self) -> dict[str, float]:
        return {"mean": self.mean, "low": self.low, "high": self.high}


def estimate(values: list[float] | np.ndarray) -> Estimate:
    data = np.asarray(values, dtype=float)
    mean = float(data.mean())
    if data.size < 2:
        return Estimate(mean, mean, mean)
    se = float(data.std(ddof=1)) / math.sqrt(data.size)
    half = float(stats.t.ppf(0.975, data.size - 1)) * se
    return Estimate(mean, mean - half, mean + half)


@dataclass(frozen=True)
class SeedFigures:
    """One seed's figures (per session), and every patient's wait for the percentile."""

    values: dict[str, float]
    waits: np.ndarray


@dataclass(frozen=True)
class PolicyResult:
    policy: str
    seeds: int
    sessions_per_seed: int
    figures: dict[str, Estimate]
    p90_wait: float  # minutes: 90 % of every patient over every seed waited less

    # result.mean_wait etc.: the figures by name
    @property
    def mean_wait(self) -> Estimate:
        return self.figures["mean_wait"]

    @property
    def utilisation(self) -> Estimate:
        return self.figures["utilisation"]

    @property
    def overtime(self) -> Estimate:
        return self.figures["overtime"]

    @property
    def seen(self) -> Estimate:
        return self.figures["seen"]

    @property
    def idle(self) -> Estimate:
        return self.figures["idle"]

    @property
    def no_shows(self) -> Estimate:
        return self.figures["no_shows"]

    def as_json(self) -> dict:
        return {
            "policy": self.policy,
            "seeds": self.seeds,
            "sessions_per_seed": self.sessions_per_seed,
            "p90_wait": self.p90_wait,
            **{name: value.as_json() for name, value in self.figures.items()},
        }


def summarise(
    policy: str, seeds: list[SeedFigures], *, sessions_per_seed: int
) -> PolicyResult:
    waits = np.concatenate([seed.waits for seed in seeds])
    return PolicyResult(
        policy=policy,
        seeds=len(seeds),
        sessions_per_seed=sessions_per_seed,
        figures={
            name: estimate([seed.values[name] for seed in seeds]) for name in FIGURES
        },
        p90_wait=float(np.percentile(waits, 90)) if waits.size else 0.0,
    )
