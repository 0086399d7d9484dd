"""Who comes to a clinic session under each policy, and in which order they are seen.

The three policies (all with c doctors sharing one queue, for `session_minutes`):

- walk-in: nobody books; patients arrive as a Poisson stream during the session and are
  seen first come, first served. Its rate is `arrivals_per_hour`, by default the same
  expected number of patients as appointments-first sees (the bookings' expected
  attenders plus the walk-ins), so the two compare like for like.
- appointments-first: bookings in timed slots (as below) and walk-ins (a Poisson stream at
  `walk_ins_per_hour`); a free doctor sees the booked patient with the earliest slot among
  those present, and a walk-in only when no booked patient is waiting (walk-ins fill the
  gaps that no-shows and short visits leave).
- timed-slots (分时段): bookings only. Each doctor's session is cut into slots of
  `slot_minutes`, one booking per doctor per slot, plus `overbook` × that many extra
  bookings spread evenly over the session. A booked patient arrives at the slot time plus
  normal noise (sd `punctuality_sd` minutes; early or late), or not at all with their own
  no-show probability (`no_show_risks` resampled; or drawn from a Beta distribution of
  mean `no_show_rate` and concentration `no_show_concentration`; or `no_show_rate` for
  everyone).
  Patients present are seen in slot order.

Every random number of a session is drawn in one fixed order from one generator seeded by
(seed, replication), whatever the policy, so policies and variants are compared on the
same patients (common random numbers) and a seed always gives the same figures.
"""

import math
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property

import numpy as np
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from analytics.errors import ErrorCode
from analytics.simulation.engine import Arrival
from common.errors import DomainError


class Policy(StrEnum):
    WALK_IN = "walk-in"
    APPOINTMENTS_FIRST = "appointments-first"
    TIMED_SLOTS = "timed-slots"


POLICY_LABELS = {
    Policy.WALK_IN: gettext_lazy("Walk-in, first come first served"),
    Policy.APPOINTMENTS_FIRST: gettext_lazy("Appointments first, walk-ins fill gaps"),
    Policy.TIMED_SLOTS: gettext_lazy("Timed slots (分时段)"),
}


class ServiceDistribution(StrEnum):
    EXPONENTIAL = "exponential"
    LOGNORMAL = "lognormal"


@dataclass(frozen=True)
class ClinicConfig:
    """One clinic session's parameters (minutes, per hour, shares in [0, 1])."""

    doctors: int = 3
    session_minutes: float = 240.0
    service_minutes: float = 12.0  # mean visit length
    service_cv: float = 0.6  # lognormal's coefficient of variation (exponential: 1)
    service_distribution: ServiceDistribution = ServiceDistribution.LOGNORMAL
    slot_minutes: float = 15.0
    overbook: float = 0.0  # extra bookings as a share of the slots (0.1 = 10% more)
    no_show_rate: float = 0.15  # each booking's probability, unless risks are given
    no_show_risks: tuple[float, ...] = field(
        default=()
    )  # per-booking risks to resample
    # Set: each booking's risk is drawn from a Beta distribution with mean no_show_rate
    # and this concentration α + β (smaller: more spread between patients).
    no_show_concentration: float | None = None
    punctuality_sd: float = 10.0  # minutes around the slot time
    walk_ins_per_hour: float = 2.0  # appointments-first's walk-ins
    arrivals_per_hour: float | None = None  # walk-in policy; None: as described above

    def __post_init__(self) -> None:
        validate_config(self)

    @property
    def slots_per_doctor(self) -> int:
        return int(self.session_minutes // self.slot_minutes)

    @property
    def bookings(self) -> int:
        regular = self.slots_per_doctor * self.doctors
        return regular + round(self.overbook * regular)

    @cached_property
    def risk_array(self) -> np.ndarray:
        """The listed risks as an array, converted once (a department may give 20 000)."""
        return np.asarray(self.no_show_risks, dtype=float)

    @cached_property
    def mean_no_show(self) -> float:
        if self.no_show_risks:
            return float(self.risk_array.mean())
        return self.no_show_rate

    @property
    def walk_in_rate(self) -> float:
        """The walk-in policy's arrivals per hour."""
        if self.arrivals_per_hour is not None:
            return self.arrivals_per_hour
        attenders = self.bookings * (1 - self.mean_no_show)
        return attenders * 60 / self.session_minutes + self.walk_ins_per_hour


def _invalid(message: str) -> DomainError:
    return DomainError(ErrorCode.INVALID_SIMULATION_INPUT, message)


def _finite(value: object) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
    )


def validate_config(config: ClinicConfig) -> None:
    if isinstance(config.doctors, bool) or not isinstance(config.doctors, int):
        raise _invalid(_("The number of doctors must be a whole number."))
    if not 1 <= config.doctors <= 200:
        raise _invalid(_("The number of doctors must be between 1 and 200."))
    positive = {
        _("session length"): config.session_minutes,
        _("mean visit length"): config.service_minutes,
        _("slot length"): config.slot_minutes,
        _("service time's coefficient of variation"): config.service_cv,
    }
    for name, value in positive.items():
        if not _finite(value) or value <= 0:
            raise _invalid(
                _("The %(name)s must be a positive number.") % {"name": name}
            )
    non_negative = {
        _("overbooking share"): config.overbook,
        _("punctuality sd"): config.punctuality_sd,
        _("walk-ins per hour"): config.walk_ins_per_hour,
    }
    if config.no_show_concentration is not None and (
        not _finite(config.no_show_concentration) or config.no_show_concentration <= 0
    ):
        raise _invalid(
            _("The Beta concentration of the no-show risks must be positive.")
        )
    if config.arrivals_per_hour is not None:
        non_negative[_("arrivals per hour")] = config.arrivals_per_hour
    for name, value in non_negative.items():
        if not _finite(value) or value < 0:
            raise _invalid(_("The %(name)s must not be negative.") % {"name": name})
    if config.overbook > 1:
        raise _invalid(
            _(
                "Overbooking is a share of the slots, at most 1 (every slot booked twice)."
            )
        )
    if config.session_minutes > 7 * 24 * 60 * 10:
        raise _invalid(_("The session is longer than ten weeks."))
    if config.slot_minutes > config.session_minutes:
        raise _invalid(_("A slot cannot be longer than the session."))
    for risk in (config.no_show_rate, *config.no_show_risks):
        if not _finite(risk) or not 0 <= risk < 1:
            raise _invalid(
                _(
                    "A no-show probability must be at least 0 and below 1, not %(value)s."
                )
                % {"value": risk}
            )
    try:
        ServiceDistribution(config.service_distribution)
    except ValueError:
        raise _invalid(_("Unknown service time distribution.")) from None


def service_times(
    rng: np.random.Generator, size: int, config: ClinicConfig
) -> np.ndarray:
    mean = config.service_minutes
    if config.service_distribution == ServiceDistribution.EXPONENTIAL:
        return rng.exponential(mean, size)
    sigma2 = math.log1p(config.service_cv**2)
    return rng.lognormal(math.log(mean) - sigma2 / 2, math.sqrt(sigma2), size)


def slot_times(config: ClinicConfig) -> np.ndarray:
    """Each booking's slot start, in minutes: every doctor's slots, then the overbooked
    extras placed evenly over the session's slots."""
    slots = np.arange(config.slots_per_doctor) * config.slot_minutes
    regular = np.repeat(slots, config.doctors)
    extra = config.bookings - regular.size
    positions = (
        (np.arange(extra) + 0.5) * config.slots_per_doctor / max(extra, 1)
    ).astype(int)
    return np.sort(np.concatenate([regular, slots[positions]]))


@dataclass(frozen=True)
class SessionDraws:
    """Every random number of one session, drawn in a fixed order (see the module doc)."""

    slots: np.ndarray  # each booking's slot time
    risks: np.ndarray  # each booking's no-show probability
    no_show_u: np.ndarray  # uniform: the booking is a no-show when below its risk
    lateness: np.ndarray  # minutes after the slot time (negative: early)
    booked_service: np.ndarray
    confirm_u: np.ndarray  # for the release variant (analytics.simulation.noshow)
    releasable_u: np.ndarray
    fill_u: np.ndarray
    replacement_no_show_u: np.ndarray
    replacement_lateness: np.ndarray
    replacement_service: np.ndarray
    walk_in_times: np.ndarray  # appointments-first's walk-ins
    walk_in_service: np.ndarray
    stream_times: np.ndarray  # the walk-in policy's arrivals
    stream_service: np.ndarray


def poisson_times(
    rng: np.random.Generator, per_hour: float, minutes: float
) -> np.ndarray:
    count = rng.poisson(per_hour * minutes / 60)
    return np.sort(rng.uniform(0, minutes, count))


def draw_session(
    config: ClinicConfig,
    rng: np.random.Generator,
    risks: np.ndarray | None = None,
) -> SessionDraws:
    """`risks`: each booking's no-show probability when the caller drew them (the release
    comparison does); otherwise resampled from config.no_show_risks or the flat rate."""
    slots = slot_times(config)
    n = slots.size
    if risks is None:
        if config.no_show_risks:
            risks = rng.choice(config.risk_array, n)
        elif config.no_show_concentration is not None and config.no_show_rate > 0:
            kappa = config.no_show_concentration
            mean = config.no_show_rate
            risks = rng.beta(mean * kappa, (1 - mean) * kappa, n)
        else:
            risks = np.full(n, config.no_show_rate)
    sd = config.punctuality_sd
    draws = {
        "no_show_u": rng.random(n),
        "lateness": rng.normal(0, sd, n) if sd > 0 else np.zeros(n),
        "booked_service": service_times(rng, n, config),
        "confirm_u": rng.random(n),
        "releasable_u": rng.random(n),
        "fill_u": rng.random(n),
        "replacement_no_show_u": rng.random(n),
        "replacement_lateness": rng.normal(0, sd, n) if sd > 0 else np.zeros(n),
        "replacement_service": service_times(rng, n, config),
    }
    walk_in_times = poisson_times(rng, config.walk_ins_per_hour, config.session_minutes)
    walk_in_service = service_times(rng, walk_in_times.size, config)
    stream_times = poisson_times(rng, config.walk_in_rate, config.session_minutes)
    stream_service = service_times(rng, stream_times.size, config)
    return SessionDraws(
        slots=slots,
        risks=risks,
        walk_in_times=walk_in_times,
        walk_in_service=walk_in_service,
        stream_times=stream_times,
        stream_service=stream_service,
        **draws,
    )


def booked_arrival(slot: float, lateness: float, service: float) -> Arrival:
    return Arrival(
        arrival=slot + lateness,
        scheduled=slot,
        priority=0,
        order_key=slot,
        service=service,
    )


def walk_in_arrivals(
    times: np.ndarray, services: np.ndarray, *, priority: int
) -> list[Arrival]:
    return [
        Arrival(arrival=t, scheduled=None, priority=priority, order_key=t, service=s)
        for t, s in zip(times.tolist(), services.tolist(), strict=True)
    ]
