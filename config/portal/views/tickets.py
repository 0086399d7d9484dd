"""A booking ticket's page: a seat won in the rush, waiting for the writer (README, "The rush").

The page says the seat is held and the booking is being confirmed. With JavaScript, htmx
asks again every second at first, then less often (`poll_seconds`); the answer is the
poller again while queued, the refusal (in the status region, announced) once refused, or
an `HX-Redirect` to the pay page once booked. Past `POLL_BOUND` it stops asking and says
that the result will be in "My appointments" (the server still decides the ticket). Without
JavaScript the "Check again" link reloads the page, which answers the same way (a redirect
once booked). What a ticket means (its appointment or its refusal) is
appointments.services.stock_booking.ticket_outcome, as for the API.
"""

import datetime

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from appointments import selectors as appointment_selectors
from appointments.services.stock_booking import StockAnswer, ticket_outcome
from config.portal.gate import patient_page
from config.portal.views.booking import booked_url, session_view

# How long the page keeps asking; the ticket is decided by the server either way.
POLL_BOUND = datetime.timedelta(seconds=60)


def poll_seconds(waited: datetime.timedelta) -> int:
    """Every second for the first 10 s, then every 2 s, then every 5 s."""
    if waited < datetime.timedelta(seconds=10):
        return 1
    if waited < datetime.timedelta(seconds=30):
        return 2
    return 5


@never_cache
@require_safe
@patient_page
def booking_ticket(request: HttpRequest, ticket_id: int) -> HttpResponse:
    ticket = appointment_selectors.booking_ticket_get_for_user(
        user=request.user, ticket_id=ticket_id
    )
    outcome = ticket_outcome(
        StockAnswer.of_ticket(ticket), load_user=lambda: request.user
    )
    htmx = request.headers.get("HX-Request") == "true"
    if outcome.appointment is not None:
        url = booked_url(request, outcome.appointment)
        if htmx:
            response = HttpResponse()
            response["HX-Redirect"] = url
            return response
        return redirect(url)
    waited = max(timezone.now() - ticket.created_at, datetime.timedelta(0))
    if outcome.refusal is not None:
        state = "refused"
    elif waited >= POLL_BOUND:
        state = "late"
    else:
        state = "queued"
    context = {
        "ticket": ticket,
        "state": state,
        "refusal": outcome.refusal,
        "waited_seconds": int(waited.total_seconds()),
        "poll_seconds": poll_seconds(waited),
    }
    if htmx:
        # The poller again; once decided (or past the bound), the new state as well.
        return render(request, "portal/_ticket_poll.html", {**context, "oob": True})
    slot = appointment_selectors.slot_get_for_booking(slot_id=ticket.slot_id)
    return render(
        request,
        "portal/booking_ticket.html",
        {**context, "slot": slot, "session": session_view(slot)},
        status=outcome.refusal.status_code if outcome.refusal is not None else 200,
    )
