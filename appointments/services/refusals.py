"""The refusals a booking meets, built in one place: the database path
(seat_rules, doctor_cap), the stock's answers (stock_booking) and the ticket writer raise
the same code with the same words."""

import datetime

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.errors import ErrorCode as AccountsError
from appointments.errors import ErrorCode
from common.errors import Conflict, DomainError, NotFound
from scheduling.errors import ErrorCode as SchedulingError
from scheduling.models import BookingRule


def slot_full() -> DomainError:
    return Conflict(ErrorCode.SLOT_FULL, _("This time slot is fully booked."))


def not_released_yet() -> DomainError:
    return Conflict(
        ErrorCode.NOT_RELEASED_YET, _("Booking for this session has not opened yet.")
    )


def session_stopped() -> DomainError:
    return Conflict(
        SchedulingError.SESSION_STOPPED, _("This clinic session has been stopped.")
    )


def doctor_unavailable() -> DomainError:
    return Conflict(
        SchedulingError.DOCTOR_UNAVAILABLE, _("This doctor is not taking bookings.")
    )


def slot_in_past() -> DomainError:
    return Conflict(
        SchedulingError.SLOT_IN_PAST, _("This time slot has already started.")
    )


def booking_closed() -> DomainError:
    return Conflict(
        ErrorCode.BOOKING_CLOSED, _("Booking for this time slot has closed.")
    )


def already_booked() -> DomainError:
    return Conflict(
        ErrorCode.ALREADY_BOOKED,
        _("This patient already has a booking in this session."),
    )


def profile_not_found() -> DomainError:
    return NotFound(AccountsError.PROFILE_NOT_FOUND, _("Patient profile not found."))


def doctor_day_full(cap: int) -> DomainError:
    return Conflict(
        ErrorCode.DOCTOR_DAILY_LIMIT_REACHED,
        ngettext(
            "This doctor sees at most %(n)d patient a day; that day is fully booked.",
            "This doctor sees at most %(n)d patients a day; that day is fully booked.",
            cap,
        )
        % {"n": cap},
    )


def caps_refusal(
    *, dates: list[datetime.date], day: datetime.date, rule: BookingRule
) -> DomainError | None:
    """The hospital's caps on one person's upcoming bookings (their visit `dates` at the
    hospital, within 6 days of `day`) for one more on `day`: by day, and over any 7
    consecutive days. None when one more is allowed."""
    week = datetime.timedelta(days=6)
    if sum(1 for d in dates if d == day) >= rule.max_active_per_day:
        return Conflict(
            ErrorCode.DAILY_LIMIT_REACHED,
            _("This patient already has %(n)d bookings on this day.")
            % {"n": rule.max_active_per_day},
        )
    for offset in range(7):
        start = day - datetime.timedelta(days=6 - offset)
        in_window = sum(1 for d in dates if start <= d <= start + week)
        if in_window >= rule.max_active_per_week:
            return Conflict(
                ErrorCode.WEEKLY_LIMIT_REACHED,
                _("This patient already has %(n)d bookings within 7 days.")
                % {"n": rule.max_active_per_week},
            )
    return None


# The stock's answers (appointments/stock/scripts.py, TAKE) that refuse.
def release_queue_required() -> DomainError:
    return Conflict(
        ErrorCode.RELEASE_QUEUE_REQUIRED,
        _(
            "This session releases through a queue: join the queue on the booking page "
            "and book when it is your turn."
        ),
    )


def release_queue_waiting() -> DomainError:
    return Conflict(
        ErrorCode.RELEASE_QUEUE_WAITING,
        _("It is not your turn in the queue yet; you will be admitted in order."),
    )


def release_queue_pass_lapsed() -> DomainError:
    return Conflict(
        ErrorCode.RELEASE_QUEUE_PASS_LAPSED,
        _(
            "Your turn to book has lapsed. Leave the queue and join again to wait at "
            "its end."
        ),
    )


def release_queue_place_not_transferable() -> DomainError:
    return Conflict(
        ErrorCode.RELEASE_QUEUE_PLACE_NOT_TRANSFERABLE,
        _(
            "Your place in the queue is for another patient; a place cannot be used "
            "for someone else."
        ),
    )


STOCK_REFUSALS = {
    "full": slot_full,
    "unreleased": not_released_yet,
    "stopped": session_stopped,
    "unavailable": doctor_unavailable,
    "past": slot_in_past,
    "closed": booking_closed,
    "booked": already_booked,
    "no_profile": profile_not_found,
    "queue_required": release_queue_required,
    "queue_waiting": release_queue_waiting,
    "queue_lapsed": release_queue_pass_lapsed,
    "queue_other_profile": release_queue_place_not_transferable,
}
