"""A local fake Sentry ingest: the real sentry-sdk's transport posts its envelopes here."""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass, field

from tests.fakes.base import FakeServer, Reply, Request


@dataclass(eq=False)
class FakeSentryServer(FakeServer):
    # Each envelope received, decompressed, as it came (bytes).
    envelopes: list[bytes] = field(default_factory=list)

    url_path = "/"

    @property
    def dsn(self) -> str:
        origin = self.url.rstrip("/")
        scheme, _, host = origin.partition("://")
        return f"{scheme}://public-key@{host}/1"

    def events(self) -> list[dict]:
        """The "event" items of every envelope."""
        found = []
        with self._lock:
            envelopes = list(self.envelopes)
        for envelope in envelopes:
            lines = envelope.split(b"\n")
            for header, payload in zip(lines[1::2], lines[2::2], strict=False):
                if json.loads(header).get("type") == "event":
                    found.append(json.loads(payload))
        return found

    def handle(self, request: Request) -> Reply:
        if request.method != "POST" or not request.path.endswith("/envelope/"):
            return Reply(404, {"detail": "not found"})
        body = request.body
        if request.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        with self._lock:
            self.envelopes.append(body)
        return Reply(200, {})
