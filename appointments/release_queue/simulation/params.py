"""The simulation's parameters, with the reasons for their defaults.

Seats: 20 hot sessions of 100 seats release together (2,000 seats) and each patient wants
one of them (assigned evenly, so demand is about 10x the seats everywhere). One session of
100 seats would leave the scripted share of seats with a standard deviation of about
2 points from chance alone; over 2,000 seats it is about 0.5.

Behaviour (seconds): a script sends a request every 0.05 s (20/s), from 0.2 s before the
release on, each arriving after a network latency of 5-25 ms; a human tries first after a reaction time
(1 s plus a log-normal with median 1.2 s) and then once every 2-6 s. With the queue,
scripts join in the first minute the waiting room is open, humans at any moment of its
30 minutes, and `late_share` of the humans only after the release; an admitted script books
within 50 ms, a human notices at the app's next poll (every 2-10 s) and takes a log-normal
time (median 12 s) to pick a slot and confirm, and `away_share` of them come back only after
their window has lapsed.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Params:
    patients: int = 20_000
    scripted_share: float = 0.05
    sessions: int = 20
    seats_per_session: int = 100
    # The queue's plan (the settings' defaults are used by the command).
    rate: float = 20.0  # places admitted per second after the burst, per session
    burst: int = 20
    window: float = 180.0
    open_minutes: float = 30.0
    gate_minutes: float = 30.0
    # Scripts.
    script_interval: float = 0.05
    script_lead: float = 0.2  # scripts start firing this long before the release
    latency_min: float = 0.005
    latency_max: float = 0.025
    # How long a script keeps firing TAKE into the gate before it only watches for its
    # admission (each try is refused "queue_waiting"; the cap keeps the run short).
    hammer_seconds: float = 1.0
    # Humans.
    reaction_min: float = 1.0
    reaction_median: float = 1.2  # of the log-normal part
    reaction_sigma: float = 0.6
    retry_min: float = 2.0
    retry_max: float = 6.0
    poll_min: float = 2.0
    poll_max: float = 10.0
    confirm_median: float = 12.0
    confirm_sigma: float = 0.6
    late_share: float = 0.05  # humans who join only after the release
    late_within: float = 300.0  # ... within this long after it
    away_share: float = 0.03  # humans who come back after their window lapsed
    # The virtual clock's tick for admission (STATUS for every session) while places are
    # being admitted; idle, the clock jumps to the next join or pass lapse.
    tick: float = 0.05

    def __post_init__(self) -> None:
        if self.patients < 1 or self.sessions < 1 or self.seats_per_session < 1:
            raise ValueError("patients, sessions and seats must be at least 1")
        if not 0 <= self.scripted_share <= 1:
            raise ValueError("the scripted share is between 0 and 1")
        # STATUS caps its token bucket at the burst: with a burst below 1 it never
        # admits anyone (the settings ask for 1 at least too).
        if self.rate <= 0 or self.burst < 1 or self.window <= 0:
            raise ValueError(
                "the rate and the window must be above 0, the burst 1 or more"
            )

    @property
    def seats(self) -> int:
        return self.sessions * self.seats_per_session

    @property
    def scripted(self) -> int:
        return round(self.patients * self.scripted_share)

    @property
    def min_gap(self) -> float:
        """The shortest time between two requests of one patient: the TAKEs of a batch
        closer together than this cannot depend on each other's answers."""
        return self.script_interval - (self.latency_max - self.latency_min)
