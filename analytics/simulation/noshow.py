"""Which booked patients come, without and with the no-show model in use.

Without the model, a booking is a no-show when its uniform draw is below its risk.

With the model (issue 12, part 5), every one of these is an assumption, not a measurement;
each is a parameter of `ReleaseAssumptions`, with its default here:

- a booking whose risk is at least `high_risk_threshold` (0.30) is high-risk: it gets an
  extra reminder, which cuts its no-show probability by `reminder_effect` (20 % relative),
  and a one-tap confirm request;
- a high-risk patient who will not come leaves the request unanswered with probability
  `unconfirmed_if_no_show` (0.70), one who will come with `unconfirmed_if_attending`
  (0.10);
- an unconfirmed high-risk booking is released at the deadline only if it is unpaid or
  free: a share `releasable_share` (0.50) of bookings; a paid booking is never released;
- a released seat goes to the waitlist, which has someone to take it with probability
  `waitlist_fill` (0.90); that patient fails to come with probability `waitlist_no_show`
  (0.10), and is as punctual as anyone;
- a patient who would have come but whose booking was released is not seen (an
  "attendee wrongly released").

The same uniform draws decide both variants, so a patient who comes without the model
comes with it unless released, and the reminder only turns no-shows into attenders.
"""

from dataclasses import dataclass, fields

import numpy as np
from django.utils.translation import gettext as _

from analytics.errors import ErrorCode
from analytics.simulation.engine import Arrival
from analytics.simulation.policies import SessionDraws, booked_arrival
from common.errors import DomainError


@dataclass(frozen=True)
class ReleaseAssumptions:
    high_risk_threshold: float = 0.30
    reminder_effect: float = 0.20
    unconfirmed_if_no_show: float = 0.70
    unconfirmed_if_attending: float = 0.10
    releasable_share: float = 0.50
    waitlist_fill: float = 0.90
    waitlist_no_show: float = 0.10

    def __post_init__(self) -> None:
        for item in fields(self):
            value = getattr(self, item.name)
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not 0 <= value <= 1
            ):
                raise DomainError(
                    ErrorCode.INVALID_SIMULATION_INPUT,
                    _("%(name)s must be a share between 0 and 1, not %(value)s.")
                    % {"name": item.name, "value": value},
                )


@dataclass(frozen=True)
class Attendance:
    arrivals: list[Arrival]  # the booked patients (and replacements) who come
    no_shows: int  # booked patients, replacements included, who did not come
    wasted_seats: int  # booked seats nobody came for
    released: int  # bookings released to the waitlist
    wrongly_released: int  # of those, patients who would have come


def booked_attendance(
    draws: SessionDraws, release: ReleaseAssumptions | None = None
) -> Attendance:
    risks = draws.risks
    if release is None:
        comes = draws.no_show_u >= risks
        arrivals = [
            booked_arrival(slot, late, service)
            for slot, late, service in zip(
                draws.slots[comes].tolist(),
                draws.lateness[comes].tolist(),
                draws.booked_service[comes].tolist(),
                strict=True,
            )
        ]
        no_shows = int((~comes).sum())
        return Attendance(arrivals, no_shows, no_shows, 0, 0)

    high = risks >= release.high_risk_threshold
    reminded_risks = np.where(high, risks * (1 - release.reminder_effect), risks)
    would_come = draws.no_show_u >= reminded_risks
    unconfirmed_p = np.where(
        would_come, release.unconfirmed_if_attending, release.unconfirmed_if_no_show
    )
    released = (
        high
        & (draws.confirm_u < unconfirmed_p)
        & (draws.releasable_u < release.releasable_share)
    )
    comes = would_come & ~released
    filled = released & (draws.fill_u < release.waitlist_fill)
    replacement_comes = filled & (
        draws.replacement_no_show_u >= release.waitlist_no_show
    )
    arrivals = [
        booked_arrival(slot, late, service)
        for slot, late, service in zip(
            draws.slots[comes].tolist(),
            draws.lateness[comes].tolist(),
            draws.booked_service[comes].tolist(),
            strict=True,
        )
    ]
    arrivals += [
        booked_arrival(slot, late, service)
        for slot, late, service in zip(
            draws.slots[replacement_comes].tolist(),
            draws.replacement_lateness[replacement_comes].tolist(),
            draws.replacement_service[replacement_comes].tolist(),
            strict=True,
        )
    ]
    no_shows = int(
        (~would_come & ~released).sum() + (filled & ~replacement_comes).sum()
    )
    wasted = no_shows + int((released & ~filled).sum())
    return Attendance(
        arrivals=arrivals,
        no_shows=no_shows,
        wasted_seats=wasted,
        released=int(released.sum()),
        wrongly_released=int((released & would_come).sum()),
    )
