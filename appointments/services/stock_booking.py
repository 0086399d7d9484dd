"""Booking through the seat stock in Redis: the rush's front half (ARCHITECTURE.md, "The rush").

`booking_try_stock` asks the stock (appointments/stock/scripts.py, TAKE) before anything
else. A refusal there (sold out, not released, stopped, closed, already booked, not your
profile) is raised at once: the request read no user, profile or slot row. A seat won there
becomes a queued BookingTicket, written in this request (the durable queue), and the
request waits up to BOOKING_TICKET_WAIT_MS for the writer
(appointments.services.ticket_writer) to decide it: the appointment, a refusal, or, past the
wait, the ticket itself for the client to poll. `None` means "take the database path":
pre-deduction off or Redis failing (the fallback), the session not loaded, or a member's
early booking (the database path counts the members' share).

`ticket_outcome` is what a client shows for a ticket, whether just answered or polled later
(`StockAnswer.of_ticket`): its appointment once booked, its refusal once refused. The API
(appointments/booking_apis.py) and the portal's booking pages both answer from it.
"""

import datetime
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction

from accounts.errors import ErrorCode as AccountsError
from accounts.models import User
from appointments import selectors
from appointments.metrics import STOCK, booking_counted, booking_refusal_counted
from appointments.models import Appointment, BookingTicket
from appointments.services.refusals import STOCK_REFUSALS
from appointments.stock import keys
from appointments.stock.client import (
    ERRORS,
    stock_answered,
    stock_failed,
    stock_usable,
    stock_wait_client,
)
from appointments.stock.deltas import stock_give_back_now
from appointments.stock.loading import user_stock_load
from appointments.stock.scripts import scripts, take_answer, take_call
from common.errors import Conflict, DomainError, NotFound

logger = logging.getLogger(__name__)


class UserNotActive(Exception):
    """The token's user is gone or inactive: the caller answers as authentication does."""


@dataclass(frozen=True)
class StockAnswer:
    """What the stock path decided: a ticket (queued or decided by the writer in time)."""

    ticket_id: int
    status: str  # BookingTicket.Status
    appointment_id: int | None = None
    error_code: str = ""
    error_message: str = ""

    @classmethod
    def of_ticket(cls, ticket: BookingTicket) -> "StockAnswer":
        """A ticket read back (a poll): what the wait would have heard, had it lasted."""
        return cls(
            ticket_id=ticket.pk,
            status=ticket.status,
            appointment_id=ticket.appointment_id,
            error_code=ticket.error_code,
            error_message=ticket.error_message,
        )


@dataclass(frozen=True)
class TicketOutcome:
    """A ticket as a client shows it: the appointment once booked, the refusal once
    refused, neither while queued."""

    ticket_id: int
    status: str  # BookingTicket.Status
    appointment: Appointment | None = None
    refusal: DomainError | None = None


def stock_refusal(code: str) -> DomainError:
    """The refusal for a TAKE answer, as the database path words it."""
    return STOCK_REFUSALS[code]()


def _take(
    *, user_id: int, profile_id: int, slot_id: int, now: float, peek: bool = False
) -> list[str]:
    keys_, args = take_call(
        slot_id=slot_id, user_id=user_id, profile_id=profile_id, now=now, peek=peek
    )
    return take_answer(scripts().take(keys=keys_, args=args))


def booking_try_stock(
    *, user_id: int, profile_id: int, slot_id: int, now: datetime.datetime
) -> StockAnswer | None:
    """Book through the stock. Raises the refusal; None: take the database path.

    Raises UserNotActive when the user must be read and is gone or inactive.
    """
    if not stock_usable():
        return None
    try:
        answer = _take(
            user_id=user_id, profile_id=profile_id, slot_id=slot_id, now=now.timestamp()
        )
        if answer[0] == "need_user":
            if not user_stock_load(user_id=user_id):
                raise UserNotActive()
            answer = _take(
                user_id=user_id,
                profile_id=profile_id,
                slot_id=slot_id,
                now=now.timestamp(),
            )
    except ERRORS as exc:
        stock_failed(exc)
        return None
    stock_answered()
    code = answer[0]
    if code in ("miss", "early", "need_user"):
        return None
    if code != "won":
        refusal = stock_refusal(code)
        booking_refusal_counted(path=STOCK, code=refusal.code)
        raise refusal
    session_id = int(answer[1])
    try:
        ticket = BookingTicket.objects.create(
            user_id=user_id,
            profile_id=profile_id,
            slot_id=slot_id,
            session_id=session_id,
        )
    except BaseException:
        # Not queued: the seat goes back at once (a failure here would be drift, repaired
        # by the reconciler).
        try:
            stock_give_back_now(slot_id, session_id, profile_id, 1)
        except ERRORS as exc:
            stock_failed(exc)
        raise
    if transaction.get_connection().in_atomic_block:
        # Inside the caller's transaction (an Idempotency-Key): the writer sees the ticket
        # only after that commits, so there is nothing to wait for here.
        answer = StockAnswer(ticket_id=ticket.pk, status=ticket.status)
    else:
        answer = ticket_wait(ticket_id=ticket.pk, user_id=user_id)
    if answer.status == BookingTicket.Status.REFUSED:
        booking_refusal_counted(path=STOCK, code=answer.error_code)
    else:
        booking_counted(path=STOCK, result=answer.status)  # booked or queued
    return answer


def booking_refusal_peek(
    *, user_id: int, profile_id: int, slot_id: int, now: datetime.datetime
) -> DomainError | None:
    """The stock's refusal of this booking, found without taking anything; None when
    the stock would not refuse it (or cannot say: not loaded, the user not read yet,
    Redis failing). For the endpoint to answer a rush's refusals before any other work;
    whatever is not refused here goes the whole way (booking_try_stock)."""
    if not stock_usable():
        return None
    try:
        code = _take(
            user_id=user_id,
            profile_id=profile_id,
            slot_id=slot_id,
            now=now.timestamp(),
            peek=True,
        )[0]
    except ERRORS as exc:
        stock_failed(exc)
        return None
    if code not in STOCK_REFUSALS:
        return None
    refusal = stock_refusal(code)
    booking_refusal_counted(path=STOCK, code=refusal.code)
    return refusal


def ticket_wait(*, ticket_id: int, user_id: int) -> StockAnswer:
    """Wait (up to BOOKING_TICKET_WAIT_MS) for the writer's word on a ticket."""
    wait_ms = settings.BOOKING_TICKET_WAIT_MS
    if wait_ms > 0:
        try:
            pushed = stock_wait_client().blpop(
                [keys.result_key(ticket_id)], timeout=wait_ms / 1000
            )
        except ERRORS as exc:
            stock_failed(exc)
            pushed = None
        if pushed is not None:
            result = json.loads(pushed[1])
            return StockAnswer(
                ticket_id=ticket_id,
                status=result["status"],
                appointment_id=result.get("appointment_id"),
                error_code=result.get("code", ""),
                error_message=result.get("message", ""),
            )
    return StockAnswer(ticket_id=ticket_id, status=BookingTicket.Status.QUEUED)


def ticket_refusal(code: str, message: str) -> DomainError:
    """The writer's refusal of a ticket, as the error the database path would raise."""
    error = (NotFound if code == AccountsError.PROFILE_NOT_FOUND else Conflict)(
        code, message
    )
    return error


def ticket_outcome(
    answer: StockAnswer, *, load_user: Callable[[], User]
) -> TicketOutcome:
    """The appointment of a booked ticket (the user's own, as the selector reads it), the
    refusal of a refused one (as the database path raises it), or nothing yet.

    `load_user` is called for a booked ticket only: a queued or refused answer reads no
    user row (the rush path's promise).
    """
    if answer.status == BookingTicket.Status.BOOKED:
        appointment = selectors.appointment_get_for_user(
            user=load_user(), appointment_id=answer.appointment_id
        )
        return TicketOutcome(
            ticket_id=answer.ticket_id, status=answer.status, appointment=appointment
        )
    if answer.status == BookingTicket.Status.REFUSED:
        return TicketOutcome(
            ticket_id=answer.ticket_id,
            status=answer.status,
            refusal=ticket_refusal(answer.error_code, answer.error_message),
        )
    return TicketOutcome(ticket_id=answer.ticket_id, status=answer.status)
