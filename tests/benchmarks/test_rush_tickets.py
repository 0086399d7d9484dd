"""The booking client is ready for booking tickets: against a small local server that answers
201, 409 or 202 with a ticket, it keeps each answer, polls each ticket with its patient's
token until booked or refused, and leaves one that never settles queued."""

import json
import re
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from benchmarks.rush.load import Booking, fire
from benchmarks.rush.tickets import Pending, tickets_settle
from benchmarks.rush.verdicts import Told, told

NEVER_SETTLES = 4  # its ticket stays queued


class _TicketServer(BaseHTTPRequestHandler):
    """Profile n: n % 3 == 0 -> 201; == 1 -> 202 with a ticket; == 2 -> 409 slot_full.

    A ticket is queued at its first poll, then booked (odd n) or refused (even n), except
    NEVER_SETTLES's; polled with another patient's token, it is a 404.
    """

    protocol_version = "HTTP/1.1"
    polls: Counter

    def _send(self, status: int, value: dict) -> None:
        out = json.dumps(value).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    def do_POST(self) -> None:
        data = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        n = data["profile_id"]
        if n % 3 == 0:
            self._send(201, {"id": n})
        elif n % 3 == 1:
            self._send(
                202,
                {
                    "ticket": f"t{n}",
                    "status": "queued",
                    "poll": f"/api/v1/appointments/tickets/t{n}/",
                },
            )
        else:
            self._send(409, {"error": {"code": "slot_full", "message": "-"}})

    def do_GET(self) -> None:
        match = re.fullmatch(r"/api/v1/appointments/tickets/t(\d+)/", self.path)
        if match is None:
            self._send(200, {"results": []})  # the client's warm-up
            return
        n = int(match.group(1))
        if self.headers["Authorization"] != f"Bearer token-{n}":
            self._send(404, {"error": {"code": "not_found", "message": "-"}})
            return
        self.polls[n] += 1
        if self.polls[n] == 1 or n == NEVER_SETTLES:
            self._send(200, {"ticket": f"t{n}", "status": "queued"})
        elif n % 2:
            self._send(200, {"ticket": f"t{n}", "status": "booked", "appointment": {}})
        else:
            self._send(
                200,
                {
                    "ticket": f"t{n}",
                    "status": "refused",
                    "appointment": None,
                    "error": {"code": "slot_full", "message": "-"},
                },
            )

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def ticket_server():
    handler = type("Handler", (_TicketServer,), {"polls": Counter()})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1], handler.polls
    server.shutdown()
    server.server_close()


def test_the_client_polls_each_ticket_to_its_end_and_keeps_the_unsettled_queued(
    ticket_server,
):
    # given: 12 patients, profiles 0..11
    port, polls = ticket_server
    bookings = [
        Booking(f"token-{n}", json.dumps({"profile_id": n}).encode(), n)
        for n in range(12)
    ]

    # when
    fired = fire(
        port=port,
        path="/book/",
        bookings=bookings,
        concurrency=3,
        max_seconds=60,
        request_timeout=10,
    )
    settled = tickets_settle(
        port=port,
        pending=[
            Pending(i, bookings[i].token, answer)
            for i, answer in enumerate(fired.answers)
            if answer.pending
        ],
        started=fired.started,
        budget=1.0,
        concurrency=2,
        request_timeout=10,
    )
    verdicts = {
        n: told(answer, settled.states.get(n)) for n, answer in enumerate(fired.answers)
    }

    # then
    assert [a.status for a in fired.answers] == [201, 202, 409] * 4
    assert verdicts == {
        0: Told.YES_AT_ANSWER,
        1: Told.YES_AFTER_TICKET,
        2: Told.NO_AT_ANSWER,
        3: Told.YES_AT_ANSWER,
        4: Told.QUEUED,
        5: Told.NO_AT_ANSWER,
        6: Told.YES_AT_ANSWER,
        7: Told.YES_AFTER_TICKET,
        8: Told.NO_AT_ANSWER,
        9: Told.YES_AT_ANSWER,
        10: Told.NO_AFTER_TICKET,
        11: Told.NO_AT_ANSWER,
    }
    assert settled.failed_polls == 0
    assert polls[NEVER_SETTLES] >= 2  # polled again until the time was up
    assert polls[1] == polls[7] == polls[10] == 2  # queued, then final: no more polls
    assert fired.cpu_seconds >= 0
