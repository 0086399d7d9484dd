"""The release queue's waiting room (排队放号) in the portal: join, watch the place, book.

A hot session releases through a queue (appointments.release_queue): the patient picks a
就诊人 and joins before the release, the places are drawn at the release and admitted at a
pace. The page shows the caller's place only (never anyone else's: the service reads the
caller's own member of the queue). With JavaScript, htmx asks for the place panel again
every `poll_after_seconds` the service answers (none: the panel stops asking); without it,
the "Refresh" link reloads the page. Once admitted, the panel lists the session's slots,
each a button that posts to the portal's own booking view (config/portal/views/booking.py)
with the profile the place was taken for, so booking and its refusals are those of every
other booking. Leaving gives the place up (a pass not used goes to the next place).
"""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from accounts.selectors import patient_profile_list_for_user
from appointments import selectors as appointment_selectors
from appointments.release_queue.place import Place, State
from appointments.release_queue.services import (
    release_queue_join,
    release_queue_leave,
    release_queue_place,
)
from common.errors import NotFound
from common.refusals import Refused, call_service
from config.portal.forms import BookForm
from config.portal.gate import patient_page
from scheduling.selectors import session_availability_get

# What each state means to the patient (the panel's heading).
STATE_LABELS = {
    State.OFF: gettext_lazy("This session books as usual."),
    State.FALLBACK: gettext_lazy(
        "The queue is unavailable just now: please book as usual."
    ),
    State.STOPPED: gettext_lazy("This session has been stopped."),
    State.NOT_OPEN: gettext_lazy("The waiting room is not open yet."),
    State.OPEN: gettext_lazy("The waiting room is open."),
    State.CLOSED: gettext_lazy("The release queue is over: please book as usual."),
    State.DRAWING: gettext_lazy(
        "You are in the waiting room. Places are drawn at the release."
    ),
    State.WAITING: gettext_lazy("You are in the queue."),
    State.ADMITTED: gettext_lazy("It is your turn: please book now."),
    State.BOOKED: gettext_lazy("Booked through the queue."),
    State.LAPSED: gettext_lazy("Your turn has passed without a booking."),
    State.SOLD_OUT: gettext_lazy("No seat is left just now."),
}
# States in which the caller holds a place (and may leave it).
HOLDING = {
    State.DRAWING,
    State.WAITING,
    State.ADMITTED,
    State.LAPSED,
    State.SOLD_OUT,
}
# States in which the session books as usual, without the queue.
AS_USUAL = {State.OFF, State.FALLBACK, State.CLOSED}


def _session_header(session_id: int):
    """The session with its doctor and hospital (404 for an unknown id)."""
    return appointment_selectors.session_get_for_waitlist(session_id=session_id)


def _admitted_slots(session_id: int) -> list[dict]:
    """The session's slots with seats left, for the admitted patient to pick from."""
    try:
        session = session_availability_get(session_id=session_id)
    except NotFound:
        return []
    return [slot for slot in session["slots"] if slot["remaining"]]


def join_form(request: HttpRequest, session_id: int) -> dict:
    """The join form: the caller's 就诊人 to choose from (POST data when joining)."""
    profiles = list(patient_profile_list_for_user(user=request.user))
    here = reverse("portal:release-queue", args=[session_id])
    return {
        "form": BookForm(
            request.POST if request.method == "POST" else None, profiles=profiles
        ),
        "profiles": profiles,
        "add_profile_url": reverse("portal:profile-add") + "?next=" + here,
    }


def place_context(request: HttpRequest, place: Place, profiles: list) -> dict:
    """The panel's context: the place, its wording, and what the patient may do now."""
    now = timezone.now()
    pass_seconds = (
        max(0, int((place.pass_until - now).total_seconds()))
        if place.pass_until is not None
        else None
    )
    profile = None
    if place.profile_id is not None:
        profile = next((p for p in profiles if p.pk == place.profile_id), None)
    return {
        "place": place,
        "state_label": STATE_LABELS[place.state],
        "holding": place.state in HOLDING,
        "as_usual": place.state in AS_USUAL,
        "pass_seconds": pass_seconds,
        "profile": profile,
        "slots": _admitted_slots(place.session_id)
        if place.state == State.ADMITTED
        else [],
    }


@never_cache
@require_http_methods(["GET", "POST"])
@patient_page
def release_queue_page(request: HttpRequest, session_id: int) -> HttpResponse:
    """GET: the waiting room (with htmx, only the place panel). POST: join it."""
    session = _session_header(session_id)
    join = join_form(request, session.pk)
    form = join["form"]
    htmx = request.headers.get("HX-Request") == "true"
    if htmx and request.method == "GET":
        place = release_queue_place(user_id=request.user.pk, session_id=session.pk)
        return render(
            request,
            "portal/_release_queue_place.html",
            {
                "session": session,
                **join,
                **place_context(request, place, join["profiles"]),
            },
        )
    status = 200
    if request.method == "POST":
        try:
            if not form.is_valid():
                raise Refused(400)
            joined, created = call_service(
                form,
                lambda: release_queue_join(
                    user=request.user,
                    session_id=session.pk,
                    profile_id=form.cleaned_data["profile"],
                ),
            )
        except Refused as refused:
            status = refused.status
        else:
            # With the queue unavailable (fallback) no place was taken: the panel says
            # to book as usual.
            if created:
                messages.success(request, _("You have joined the waiting room."))
            elif joined.state in HOLDING or joined.state == State.BOOKED:
                messages.info(
                    request, _("You already hold a place in this waiting room.")
                )
            return redirect("portal:release-queue", session_id=session.pk)
    place = release_queue_place(user_id=request.user.pk, session_id=session.pk)
    return render(
        request,
        "portal/release_queue.html",
        {
            "session": session,
            **join,
            **place_context(request, place, join["profiles"]),
        },
        status=status,
    )


@never_cache
@require_POST
@patient_page
def release_queue_leave_view(request: HttpRequest, session_id: int) -> HttpResponse:
    """Give the place up; holding none is said on the page, not as an error page."""
    session = _session_header(session_id)
    try:
        release_queue_leave(user_id=request.user.pk, session_id=session.pk)
    except NotFound as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("You have left the waiting room."))
    return redirect("portal:release-queue", session_id=session.pk)
