"""The patients: who is scripted, which session each wants, and how each acts in time.

All draws come from the seed's `random.Random`, in a fixed order, so a seed is one crowd:
the run without the queue and the run with it see the same people wanting the same
sessions. Times are seconds relative to the release (negative: before it).
"""

import math
import random
from dataclasses import dataclass

from appointments.release_queue.simulation.params import Params

# Ids in the simulation's own namespace: user (the queue's member) and profile.
PROFILE_OFFSET = 1_000_000


def user_id_of(index: int) -> int:
    return index + 1


def profile_id_of(index: int) -> int:
    return PROFILE_OFFSET + index + 1


@dataclass(frozen=True)
class Patient:
    index: int
    scripted: bool
    session: int  # index of the wanted session, 0..sessions-1
    join_at: float  # joins the waiting room (with the queue)
    reaction: float  # first try after the release (without the queue); humans
    retry: float  # seconds between tries (humans); a script's interval
    poll: float  # the app's poll interval: how late a human notices the admission
    confirm: float  # seconds to pick a slot and confirm once noticed

    @property
    def user_id(self) -> int:
        return user_id_of(self.index)

    @property
    def profile_id(self) -> int:
        return profile_id_of(self.index)

    @property
    def person(self) -> str:
        return f"sim-person-{self.index + 1}"


def latency(params: Params, rng: random.Random) -> float:
    """A request's network delay."""
    return rng.uniform(params.latency_min, params.latency_max)


def _human(params: Params, rng: random.Random, index: int, session: int) -> Patient:
    opens = -params.open_minutes * 60
    if rng.random() < params.late_share:
        join_at = rng.uniform(0, params.late_within)
    else:
        join_at = rng.uniform(opens, 0)
    reaction = params.reaction_min + rng.lognormvariate(
        math.log(params.reaction_median), params.reaction_sigma
    )
    retry = rng.uniform(params.retry_min, params.retry_max)
    poll = rng.uniform(params.poll_min, params.poll_max)
    if rng.random() < params.away_share:
        confirm = params.window + rng.uniform(1, 120)
    else:
        confirm = rng.lognormvariate(
            math.log(params.confirm_median), params.confirm_sigma
        )
    return Patient(index, False, session, join_at, reaction, retry, poll, confirm)


def _script(params: Params, rng: random.Random, index: int, session: int) -> Patient:
    opens = -params.open_minutes * 60
    join_at = opens + rng.uniform(0, 60)
    return Patient(index, True, session, join_at, 0.0, params.script_interval, 0.0, 0.0)


def patients_make(params: Params, rng: random.Random) -> list[Patient]:
    """The crowd: `scripted` scripts among `patients`, sessions dealt round-robin over a
    shuffled crowd (every session wanted by about patients/sessions of them)."""
    scripted = set(rng.sample(range(params.patients), params.scripted))
    order = list(range(params.patients))
    rng.shuffle(order)
    session_of = {index: n % params.sessions for n, index in enumerate(order)}
    crowd = []
    for index in range(params.patients):
        make = _script if index in scripted else _human
        crowd.append(make(params, rng, index, session_of[index]))
    return crowd
