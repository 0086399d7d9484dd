"""What each patient was told by a booking phase, from its HTTP answer and, maybe, a ticket.

`POST /api/v1/appointments/book/` answers 201 with the appointment (told yes) or 409 with a
refusal (told no). It may soon also answer 202 with a booking ticket,
`{"ticket": "<id>", "status": "queued", "poll": "/api/v1/appointments/tickets/<id>/"}`,
whose status the client polls (`GET` that path) until it is final:
`{"ticket", "status": "queued" | "booked" | "refused", "appointment", "error"}`.
A 202 is "pending" at answer time; after the phase the client polls each ticket for a
bounded time (benchmarks/rush/tickets.py). What the patient was told in the end:

- yes at answer: 201;  yes after ticket: a ticket that became `booked`;
- no at answer: 409 (any code);  no after ticket: a ticket that became `refused`;
- queued: a ticket still `queued` (or never read) when the polling stopped: a failure;
- nothing: any other status, no answer at all, or not sent (a figure, not a verdict).

Everything here is pure: the answers in, the verdicts out (tested with synthetic answers).
"""

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

TICKET_PATH = "/api/v1/appointments/tickets/{ticket}/"

BOOKED, REFUSED, QUEUED = "booked", "refused", "queued"


class Told(StrEnum):
    YES_AT_ANSWER = "yes_at_answer"
    YES_AFTER_TICKET = "yes_after_ticket"
    NO_AT_ANSWER = "no_at_answer"
    NO_AFTER_TICKET = "no_after_ticket"
    QUEUED = "queued"
    NOTHING = "nothing"


YES = frozenset({Told.YES_AT_ANSWER, Told.YES_AFTER_TICKET})
NO = frozenset({Told.NO_AT_ANSWER, Told.NO_AFTER_TICKET})


@dataclass(frozen=True)
class Answer:
    """One booking request's answer, as the client saw it.

    status: the HTTP status, 0 when no answer came (then `code` names the exception);
    code: the error code of a refusal ("" for a 201 or a 202);
    seconds: the request's latency; at: when the answer came, seconds since the phase began;
    ticket, poll: a 202's ticket id and the path to poll it ("" otherwise).
    """

    status: int
    code: str = ""
    seconds: float = 0.0
    at: float = 0.0
    ticket: str = ""
    poll: str = ""

    @property
    def pending(self) -> bool:
        return self.status == 202 and bool(self.ticket)

    @property
    def label(self) -> str:
        if self.status == 0:
            return self.code
        if self.status == 202 and not self.ticket:
            return "202 without a ticket"
        return f"{self.status} {self.code}".strip()


@dataclass(frozen=True)
class TicketState:
    """A ticket's last known status: "queued", "booked", "refused", or "" (never read).

    code: the refusal's error code; at: when it was read, seconds since the phase began.
    """

    status: str
    code: str = ""
    at: float = 0.0

    @property
    def final(self) -> bool:
        return self.status in (BOOKED, REFUSED)


def _json(data: bytes) -> dict:
    try:
        value = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        return {}
    return value if isinstance(value, dict) else {}


def _error_code(body: dict) -> str:
    error = body.get("error")
    if isinstance(error, dict) and error.get("code") is not None:
        return str(error["code"])
    return ""


def answer_read(status: int, data: bytes, *, seconds: float, at: float) -> Answer:
    """The Answer of an HTTP status and body (a 202's ticket and poll path read from it)."""
    if status == 201:
        return Answer(status, "", seconds, at)
    body = _json(data)
    if status == 202:
        ticket = body.get("ticket")
        if not isinstance(ticket, str | int) or ticket == "":
            return Answer(status, "", seconds, at)
        poll = body.get("poll")
        if not isinstance(poll, str) or not poll.startswith("/"):
            poll = TICKET_PATH.format(ticket=ticket)
        return Answer(status, "", seconds, at, ticket=str(ticket), poll=poll)
    return Answer(status, _error_code(body), seconds, at)


def ticket_read(status: int, data: bytes, *, at: float) -> TicketState:
    """A poll's answer: the ticket's status, or "" when the poll did not give one."""
    if status != 200:
        return TicketState("", f"{status} {_error_code(_json(data))}".strip(), at)
    body = _json(data)
    state = body.get("status")
    if state not in (QUEUED, BOOKED, REFUSED):
        return TicketState("", "200 without a ticket status", at)
    return TicketState(state, _error_code(body) if state == REFUSED else "", at)


def told(answer: Answer | None, ticket: TicketState | None = None) -> Told:
    """What the patient was told in the end, from the answer and its ticket's last status."""
    if answer is None:
        return Told.NOTHING
    if answer.status == 201:
        return Told.YES_AT_ANSWER
    if answer.status == 409:
        return Told.NO_AT_ANSWER
    if answer.pending:
        if ticket is not None and ticket.status == BOOKED:
            return Told.YES_AFTER_TICKET
        if ticket is not None and ticket.status == REFUSED:
            return Told.NO_AFTER_TICKET
        return Told.QUEUED
    return Told.NOTHING


def told_at(answer: Answer | None, ticket: TicketState | None = None) -> float | None:
    """When the patient learned the outcome (seconds since the phase began), if it did."""
    verdict = told(answer, ticket)
    if verdict in (Told.YES_AT_ANSWER, Told.NO_AT_ANSWER):
        return answer.at
    if verdict in (Told.YES_AFTER_TICKET, Told.NO_AFTER_TICKET):
        return ticket.at
    return None


def told_counts(verdicts: Iterable[Told]) -> dict[str, int]:
    """How many patients were told each thing (every verdict named, zeros included)."""
    counts = Counter(verdicts)
    return {verdict.value: counts.get(verdict, 0) for verdict in Told}
