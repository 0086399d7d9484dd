"""The M/M/c queue (Erlang C): a clinic with c doctors, Poisson arrivals, exponential visits.

For an arrival rate λ (patients per hour), a service rate μ per doctor (patients per hour
per doctor) and c doctors working from one first-come-first-served queue:

    a = λ/μ            offered load (how many doctors the arrivals keep busy on average)
    ρ = λ/(cμ)         utilisation of each doctor; the queue is stable only for ρ < 1
    P_wait = C(c, a)   Erlang C: the probability an arriving patient has to wait
    Lq = P_wait·ρ/(1−ρ)    mean number waiting
    Wq = Lq/λ              mean wait before the visit (hours), = P_wait/(cμ − λ)
    W  = Wq + 1/μ          mean time in the clinic (wait + visit)
    L  = λ·W = Lq + a      mean number in the clinic (Little's law)

About the design's "L = ρ²/(1−ρ)": that is the M/M/1 queue's Lq (the mean number
*waiting* with one doctor), not the M/M/c queue's L. For c = 1 Erlang C gives P_wait = ρ, so
Lq = ρ·ρ/(1−ρ) = ρ²/(1−ρ) and Wq = Lq/λ, which the tests check; L is Lq + ρ there.

Erlang C is computed without factorials or powers, which overflow a float near c = 170:
the Erlang B recursion B(0) = 1, B(k) = a·B(k−1) / (k + a·B(k−1)) keeps every term in
[0, 1], and C = B / (1 − ρ(1 − B)). It is exact to a few ulps for any c (tested against
an arbitrary-precision reference up to c = 500).
"""

import math
from dataclasses import dataclass
from numbers import Integral, Real

from django.utils.translation import gettext as _

from analytics.errors import ErrorCode
from common.errors import DomainError

# Staffing advice stops looking past this many doctors: a target no realistic clinic
# reaches (a wait of a microsecond) is refused rather than searched for ever.
MAX_SERVERS = 100_000


@dataclass(frozen=True)
class QueueMetrics:
    """The steady state of an M/M/c queue; rates per hour, times in hours."""

    arrival_rate: float  # λ, patients per hour
    service_rate: float  # μ, patients per hour per doctor
    servers: int  # c, doctors
    rho: float  # utilisation λ/(cμ)
    p_wait: float  # Erlang C: probability of waiting
    lq: float  # mean number waiting
    wq: float  # mean wait (hours)
    l: float  # noqa: E741 - the queueing letter: mean number in the clinic
    w: float  # mean time in the clinic (hours)

    def as_json(self) -> dict[str, float]:
        """The keys of `manage.py queue_model --json` (times in hours)."""
        return {
            "rho": self.rho,
            "P_wait": self.p_wait,
            "Lq": self.lq,
            "Wq": self.wq,
            "L": self.l,
            "W": self.w,
        }


def _invalid(message: str) -> DomainError:
    return DomainError(ErrorCode.INVALID_QUEUE_INPUT, message)


def _check_rate(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, Real):
        raise _invalid(_("%(name)s must be a number.") % {"name": name})
    number = float(value)
    if not math.isfinite(number) or number <= 0:
        raise _invalid(
            _("%(name)s must be a positive finite number, not %(value)s.")
            % {"name": name, "value": value}
        )
    return number


def _check_servers(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise _invalid(
            _("The number of doctors must be a whole number, not %(value)s.")
            % {"value": value}
        )
    servers = int(value)
    if servers < 1:
        raise _invalid(
            _("The number of doctors must be at least 1, not %(value)s.")
            % {"value": servers}
        )
    return servers


def check_inputs(
    arrival_rate: object, service_rate: object, servers: object
) -> tuple[float, float, int]:
    """The validated (λ, μ, c); DomainError(invalid_queue_input) names the bad one."""
    return (
        _check_rate(arrival_rate, _("The arrival rate")),
        _check_rate(service_rate, _("The service rate")),
        _check_servers(servers),
    )


def erlang_b(servers: int, offered_load: float) -> float:
    """Erlang B blocking probability B(c, a), by the stable recursion (no factorials)."""
    b = 1.0
    for k in range(1, servers + 1):
        b = offered_load * b / (k + offered_load * b)
    return b


def erlang_c_from_b(blocking: float, rho: float) -> float:
    """Erlang C from Erlang B of the same c and a: C = B / (1 − ρ(1 − B))."""
    return blocking / (1.0 - rho * (1.0 - blocking))


def _unstable(rho: float, servers: int) -> DomainError:
    return DomainError(
        ErrorCode.QUEUE_UNSTABLE,
        _(
            "Utilisation ρ = %(rho).3f ≥ 1 with %(servers)d doctor(s): patients arrive "
            "faster than the doctors can see them, so the queue grows without bound."
        )
        % {"rho": rho, "servers": servers},
    )


def queue_metrics(
    *, arrival_rate: float, service_rate: float, servers: int
) -> QueueMetrics:
    """The M/M/c steady state; DomainError for bad input or ρ ≥ 1 (no steady state)."""
    lam, mu, c = check_inputs(arrival_rate, service_rate, servers)
    offered = lam / mu
    rho = offered / c
    if lam >= c * mu or rho >= 1.0:
        raise _unstable(rho, c)
    p_wait = erlang_c_from_b(erlang_b(c, offered), rho)
    lq = p_wait * rho / (1.0 - rho)
    wq = lq / lam
    w = wq + 1.0 / mu
    return QueueMetrics(
        arrival_rate=lam,
        service_rate=mu,
        servers=c,
        rho=rho,
        p_wait=p_wait,
        lq=lq,
        wq=wq,
        l=lam * w,
        w=w,
    )


def _check_target(value: object, name: str, *, upper: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, Real):
        raise _invalid(_("%(name)s must be a number.") % {"name": name})
    target = float(value)
    if (
        not math.isfinite(target)
        or target <= 0
        or (upper is not None and target > upper)
    ):
        raise _invalid(
            _("%(name)s is out of range: %(value)s.") % {"name": name, "value": value}
        )
    return target


def servers_needed(
    *,
    arrival_rate: float,
    service_rate: float,
    target_wait_hours: float | None = None,
    target_p_wait: float | None = None,
) -> int:
    """The fewest doctors whose mean wait is at most the target and/or P(wait) at most
    the target probability (both must hold when both are given).

    Both Wq and P_wait fall as doctors are added, so the first c that meets the targets,
    counted up from the fewest that keep ρ < 1, is the minimum.
    """
    lam, mu, _c = check_inputs(arrival_rate, service_rate, 1)
    if target_wait_hours is None and target_p_wait is None:
        raise _invalid(_("Give a target wait or a target probability of waiting."))
    wait = (
        None
        if target_wait_hours is None
        else _check_target(target_wait_hours, _("The target wait"))
    )
    p_target = (
        None
        if target_p_wait is None
        else _check_target(
            target_p_wait, _("The target probability of waiting"), upper=1
        )
    )
    offered = lam / mu
    # The Erlang B recursion runs up c by c, so the search costs one step per doctor.
    blocking = 1.0
    for c in range(1, MAX_SERVERS + 1):
        blocking = offered * blocking / (c + offered * blocking)
        if lam >= c * mu:
            continue
        rho = offered / c
        p_wait = erlang_c_from_b(blocking, rho)
        wq = p_wait / (c * mu - lam)
        if (wait is None or wq <= wait) and (p_target is None or p_wait <= p_target):
            return c
    raise _invalid(
        _("No clinic of up to %(max)d doctors meets the target.") % {"max": MAX_SERVERS}
    )
