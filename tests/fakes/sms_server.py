"""A local fake SMS provider for the "http" SMS backend, on 127.0.0.1 and an ephemeral port."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from tests.fakes.base import FakeServer, Reply, Request


@dataclass(eq=False)
class FakeSmsServer(FakeServer):
    token: str = "test-sms-token"
    # What the provider answers: (HTTP status, raw body).
    answer: tuple[int, bytes] = (200, b'{"code": "OK", "message_id": "m-1"}')
    # The accepted messages (JSON bodies) and their headers.
    received: list[dict] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)

    content_type = "application/json"
    url_path = "/sms/send"

    def codes_sent_to(self, phone: str) -> list[str]:
        with self._lock:
            return [m["params"]["code"] for m in self.received if m["phone"] == phone]

    def last_code(self, phone: str) -> str:
        return self.codes_sent_to(phone)[-1]

    def handle(self, request: Request) -> Reply:
        if request.method != "POST":
            return Reply(405, {"code": "MethodNotAllowed"})
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return Reply(401, b'{"code": "Unauthorized"}')
        with self._lock:
            self.received.append(json.loads(request.body))
            self.headers.append(dict(request.headers))
        return Reply(*self.answer)
