"""Today: every patient fires the stock's TAKE from the release on, first come first served.

A script's k-th request is sent at k x 0.05 s from its start (before the release) and
arrives after its latency; a human's first try comes after their reaction time, then one
every few seconds. A request is retried on any answer but "won" and the final ones (the
session full, or anything that will not change).
"""

from appointments.release_queue.simulation.calls import Calls
from appointments.release_queue.simulation.events import (
    TRY,
    Clock,
    RunResult,
    TakeBatch,
)
from appointments.release_queue.simulation.layout import layout_write
from appointments.release_queue.simulation.params import Params
from appointments.release_queue.simulation.patients import Patient, latency

# Answers after which a patient stops asking (the rest, e.g. "unreleased", are retried).
FINAL = frozenset({"won", "full", "booked", "past", "closed", "stopped"})


def script_try_at(params: Params, k: int, rng) -> float:
    """A script's k-th request (k from 0), in seconds after the release."""
    return -params.script_lead + k * params.script_interval + latency(params, rng)


def run_without_queue(
    params: Params,
    crowd: list[Patient],
    calls: Calls,
    rng,
    *,
    first_session: int = 1,
) -> RunResult:
    """One run on sessions `first_session`.. (the users written: layout.users_write)."""
    result = RunResult()
    layout = layout_write(params, first_session=first_session, gate_until=None)
    clock = Clock()
    tries = [0] * len(crowd)
    for patient in crowd:
        at = script_try_at(params, 0, rng) if patient.scripted else patient.reaction
        clock.push(at, TRY, patient.index)
    batch = TakeBatch(params.min_gap)

    def send() -> None:
        sent = batch.take()
        answers = calls.takes_sent(sent, layout, crowd)
        for (at, _kind, i), answer in zip(sent, answers, strict=True):
            patient = crowd[i]
            result.answers[answer[0]] += 1
            if answer[0] == "won":
                result.won(at, i, patient.scripted)
            if answer[0] in FINAL:
                continue
            tries[i] += 1
            if patient.scripted:
                clock.push(script_try_at(params, tries[i], rng), TRY, i)
            else:
                clock.push(at + patient.retry, TRY, i)

    while clock.heap or batch.pending:
        if batch.pending and (not clock.heap or batch.due(clock.next_at())):
            send()
            continue
        at, _order, kind, index = clock.pop()
        batch.add(at, kind, index)
    result.unsold = params.seats - result.seats
    return result
