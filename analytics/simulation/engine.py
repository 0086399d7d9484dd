"""The discrete-event engine: one clinic session, c doctors, one shared queue.

Times are minutes from the session's start. The engine knows nothing of policies: it takes
the patients who come (arrival time, the time they were booked for, their queue priority
and how long their visit takes) and plays the session out with a heapq event list:

- a patient who arrives joins the queue; the queue is ordered by (priority, order key,
  arrival), so "first come first served" is order key = arrival time, and "booked patients
  by their slot, walk-ins after them" is priority 0 / 1 with order key = slot time;
- doctors start at the session's start; from then on a free doctor takes the head of the
  queue at once (a doctor sees a patient who came early for a later slot rather than sit
  idle);
- doctors see everyone who came, past the session's end if need be (overtime).

A booked patient's wait runs from the later of arrival and slot time (coming early is the
patient's own time); a walk-in's from arrival.
"""

import heapq
from dataclasses import dataclass

import numpy as np

_DEPARTURE, _ARRIVAL = (
    0,
    1,
)  # at the same instant a doctor frees before the next arrival


@dataclass(frozen=True)
class Arrival:
    arrival: float  # minutes from the session's start (may be negative: early)
    scheduled: float | None  # the slot time for a booked patient, None for a walk-in
    priority: int  # 0 goes first; the policy decides
    order_key: float  # within a priority: slot time, or arrival time for FCFS
    service: float  # visit length in minutes


@dataclass(frozen=True)
class SessionRun:
    waits: np.ndarray  # minutes each patient waited, in arrival order
    seen: int
    busy_in_session: float  # doctor-minutes of visits inside [0, session end]
    idle_in_session: float  # doctor-minutes without a patient inside [0, session end]
    overtime: float  # minutes the last doctor works past the session's end (≥ 0)


def run_session(
    patients: list[Arrival], *, doctors: int, session_minutes: float
) -> SessionRun:
    # Each doctor "frees" at the session's start: a patient who comes early waits for it.
    events: list[tuple[float, int, int]] = [
        (0.0, _DEPARTURE, doctor) for doctor in range(doctors)
    ]
    events += [
        (patient.arrival, _ARRIVAL, index) for index, patient in enumerate(patients)
    ]
    heapq.heapify(events)
    queue: list[tuple[int, float, float, int]] = []
    free: list[int] = []
    waits = np.zeros(len(patients))
    busy = 0.0
    last_end = 0.0
    while events:
        now, kind, index = heapq.heappop(events)
        if kind == _ARRIVAL:
            patient = patients[index]
            heapq.heappush(
                queue, (patient.priority, patient.order_key, patient.arrival, index)
            )
        else:
            free.append(index)
        while free and queue:
            *_key, patient_index = heapq.heappop(queue)
            patient = patients[patient_index]
            doctor = free.pop()
            start = now
            ready = patient.arrival
            if patient.scheduled is not None:
                ready = max(ready, patient.scheduled)
            waits[patient_index] = max(0.0, start - ready)
            end = start + patient.service
            busy += max(0.0, min(end, session_minutes) - start)
            last_end = max(last_end, end)
            heapq.heappush(events, (end, _DEPARTURE, doctor))
    capacity = doctors * session_minutes
    return SessionRun(
        waits=waits,
        seen=len(patients),
        busy_in_session=busy,
        idle_in_session=capacity - busy,
        overtime=max(0.0, last_end - session_minutes),
    )
