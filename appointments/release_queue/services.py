"""The release queue (排队放号) for patients: join, see the place, leave; and the draw.

Who may hold a place is decided here from the database (the profile is the caller's, the
session uses the queue and is open, the person is not restricted by the ledger); where the
place is and when it is admitted is the queue's, on Redis (store.py). A poll reads no row
while the queue is prepared: the facts carry the plan's times and the session's state.

With Redis failing, or the seat stock off, the answer is "fallback": the booking page books
as usual, through the database path, which never overbooks. The queue only orders who may
ask; the seat is still decided by the stock and the writer, or the database path.
"""

import datetime

from django.conf import settings
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.selectors import patient_profile_get_for_user
from appointments.errors import ErrorCode
from appointments.ledger.rules import restriction_check
from appointments.metrics import release_queue_draw_counted, release_queue_join_counted
from appointments.notifications.messages import local_time_text
from appointments.release_queue.notices import queue_status_told
from appointments.release_queue.place import (
    Place,
    State,
    now_seconds,
    place_of,
    utc_at,
)
from appointments.release_queue.schedule import QueuePlan
from appointments.release_queue.store import (
    QueueFacts,
    queue_draw,
    queue_join,
    queue_leave,
    queue_prepare,
)
from appointments.services.refusals import session_stopped
from appointments.stock.client import ERRORS, stock_failed, stock_usable
from appointments.stock.loading import (
    queue_closes_at,
    session_fields_write,
    session_stock_write,
    sessions_stock_read,
)
from common.errors import Conflict, DomainError, NotFound
from common.services import Actor, operation_log_write
from scheduling.errors import ErrorCode as SchedulingError
from scheduling.models import ClinicSession


def queue_plan(session: ClinicSession) -> QueuePlan:
    """The session's queue as the settings make it now."""
    release = session.release_at.timestamp()
    opens = release - settings.RELEASE_QUEUE_OPEN_MINUTES * 60
    return QueuePlan(
        release=release,
        opens=opens,
        closes=queue_closes_at(session) or release,
        rate=float(settings.RELEASE_QUEUE_ADMIT_PER_SECOND),
        burst=settings.RELEASE_QUEUE_BURST,
        window=float(settings.RELEASE_QUEUE_WINDOW_SECONDS),
    )


def _session_get(session_id: int) -> ClinicSession:
    session = (
        ClinicSession.objects.select_related("doctor", "hospital")
        .filter(pk=session_id)
        .first()
    )
    if session is None or not session.doctor.is_active:
        raise NotFound(
            SchedulingError.SESSION_NOT_FOUND, _("Clinic session not found.")
        )
    return session


def queue_session_prepare(session: ClinicSession) -> None:
    """Load the session into the seat stock (its seats are what admission counts) with
    its gate, then write the queue's plan. Raises Redis errors."""
    for stock in sessions_stock_read([session.pk]):
        if not session_stock_write(stock):
            session_fields_write(stock)
        queue_prepare(
            session_id=session.pk,
            plan=queue_plan(session),
            slot_ids=[slot.slot_id for slot in stock.slots],
            expire_at=stock.expire_at,
        )


def _draw_if_due(session_id: int, facts: QueueFacts, now: float) -> bool:
    """Draw the places once the release has come (one process does; the others wait for
    the next poll). True when this call drew."""
    if facts.drawn or now < facts.release:
        return False
    places = queue_draw(session_id=session_id, now=now)
    if places is None:
        return False
    release_queue_draw_counted(places)
    operation_log_write(
        actor=Actor.system(),
        action="release_queue_draw",
        obj=ClinicSession(pk=session_id),
        summary=f"{places} places drawn ({facts.waiting_room} waiting at the release)",
    )
    return True


def _facts(session_id: int, user_id: int | None, now: float) -> QueueFacts | None:
    facts = queue_status_told(session_id=session_id, member=user_id, now=now)
    if facts is not None and _draw_if_due(session_id, facts, now):
        facts = queue_status_told(session_id=session_id, member=user_id, now=now)
    return facts


def _unprepared_place(session: ClinicSession, now: float) -> Place:
    if session.status != ClinicSession.Status.OPEN:
        return Place(session.pk, State.STOPPED)
    if not session.release_queue:
        return Place(session.pk, State.OFF)
    plan = queue_plan(session)
    return Place(
        session.pk,
        State.NOT_OPEN if now < plan.opens else State.CLOSED,
        opens_at=utc_at(plan.opens),
        release_at=session.release_at,
        poll_after_seconds=60 if now < plan.opens else None,
    )


def release_queue_place(
    *, user_id: int, session_id: int, now: datetime.datetime | None = None
) -> Place:
    """The caller's place in the session's queue (admitting whoever is due first)."""
    at = now_seconds(now)
    if stock_usable():
        try:
            facts = _facts(session_id, user_id, at)
            if facts is None:
                session = _session_get(session_id)
                plan = queue_plan(session)
                if not (
                    session.release_queue
                    and session.status == ClinicSession.Status.OPEN
                    and plan.opens <= at < plan.closes
                ):
                    return _unprepared_place(session, at)
                queue_session_prepare(session)
                facts = _facts(session_id, user_id, at)
            if facts is not None:
                return place_of(session_id, facts, at)
        except ERRORS as exc:
            stock_failed(exc)
    session = _session_get(session_id)
    if not session.release_queue:
        return Place(session_id, State.OFF)
    return Place(session_id, State.FALLBACK)


def _join_check(session: ClinicSession, plan: QueuePlan, at: float) -> None:
    if not session.release_queue:
        raise Conflict(
            ErrorCode.RELEASE_QUEUE_OFF,
            _("This session does not release through a queue; book as usual."),
        )
    if session.status != ClinicSession.Status.OPEN:
        raise session_stopped()
    if at < plan.opens:
        raise _not_open(plan)
    if at >= plan.closes:
        raise _closed()


def _not_open(plan: QueuePlan) -> Conflict:
    return Conflict(
        ErrorCode.RELEASE_QUEUE_NOT_OPEN,
        _("The waiting room opens at %(time)s.")
        % {"time": local_time_text(utc_at(plan.opens))},
    )


def _closed() -> Conflict:
    return Conflict(
        ErrorCode.RELEASE_QUEUE_CLOSED,
        _("The release queue of this session is over; book as usual."),
    )


def release_queue_join(
    *,
    user: User,
    session_id: int,
    profile_id: int,
    now: datetime.datetime | None = None,
) -> tuple[Place, bool]:
    """Take a place for one of the caller's profiles. (the place, whether new).

    One account holds one place, and one person (ID number) one place whichever account
    asks; joining again for the same profile answers the place held."""
    try:
        place, created = _join_place(
            user=user, session_id=session_id, profile_id=profile_id, now=now
        )
    except DomainError as refusal:
        release_queue_join_counted(refusal.code)
        raise
    if place.state == State.FALLBACK:
        release_queue_join_counted("fallback")
    else:
        release_queue_join_counted("joined" if created else "held")
    return place, created


def _join_place(
    *,
    user: User,
    session_id: int,
    profile_id: int,
    now: datetime.datetime | None,
) -> tuple[Place, bool]:
    profile = patient_profile_get_for_user(user=user, profile_id=profile_id)
    session = _session_get(session_id)
    at = now_seconds(now)
    plan = queue_plan(session)
    _join_check(session, plan, at)
    restriction_check(
        id_card_hash=profile.id_card_hash, hospital_id=session.hospital_id, now=now
    )
    if not stock_usable():
        return Place(session_id, State.FALLBACK), False
    try:
        answer = _join(session, user.pk, profile.id_card_hash, profile.pk, at)
        if answer[0] == "unprepared":
            queue_session_prepare(session)
            answer = _join(session, user.pk, profile.id_card_hash, profile.pk, at)
    except ERRORS as exc:
        stock_failed(exc)
        return Place(session_id, State.FALLBACK), False
    code, held_for = answer
    if code == "not_open":
        raise _not_open(plan)
    if code == "closed":
        raise _closed()
    if code == "person_taken":
        raise Conflict(
            ErrorCode.RELEASE_QUEUE_PERSON_HAS_PLACE,
            _(
                "This patient already holds a place in this queue, through another account."
            ),
        )
    if code == "exists" and held_for != str(profile.pk):
        raise Conflict(
            ErrorCode.RELEASE_QUEUE_ACCOUNT_HAS_PLACE,
            _(
                "Your account already holds a place in this queue, for another patient. "
                "One account holds one place."
            ),
        )
    return release_queue_place(user_id=user.pk, session_id=session_id, now=now), (
        code == "joined"
    )


def _join(
    session: ClinicSession, user_id: int, person: str, profile_id: int, at: float
) -> tuple[str, str]:
    return queue_join(
        session_id=session.pk,
        member=user_id,
        person=person,
        profile_id=profile_id,
        now=at,
    )


def release_queue_leave(*, user_id: int, session_id: int) -> None:
    """Give the place up (a pass not used is given back for the next place)."""
    if not stock_usable():
        raise NotFound(
            ErrorCode.RELEASE_QUEUE_NOT_JOINED, _("You hold no place in this queue.")
        )
    try:
        left = queue_leave(session_id=session_id, member=user_id)
    except ERRORS as exc:
        stock_failed(exc)
        left = False
    if not left:
        raise NotFound(
            ErrorCode.RELEASE_QUEUE_NOT_JOINED, _("You hold no place in this queue.")
        )


def release_queue_summary(
    *, session_id: int, now: datetime.datetime | None = None
) -> QueueFacts | None:
    """The queue's facts for staff (admitting whoever is due first, as a poll does).
    None: not prepared, or Redis unavailable."""
    if not stock_usable():
        return None
    try:
        return queue_status_told(
            session_id=session_id, member=None, now=now_seconds(now)
        )
    except ERRORS as exc:
        stock_failed(exc)
        return None


def queue_slots_refresh(*, session_id: int) -> None:
    """After 加号 (a slot added): the queue counts the new slot's seats too. Only for a
    session whose queue is prepared; errors are the stock's outage, logged there."""
    session = ClinicSession.objects.filter(pk=session_id, release_queue=True).first()
    if session is None or not stock_usable():
        return
    try:
        if queue_status_told(session_id=session_id, member=None, now=now_seconds(None)):
            queue_session_prepare(session)
    except ERRORS as exc:
        stock_failed(exc)
