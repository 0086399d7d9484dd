"""A local fake SMS provider for the "http" SMS backend, on 127.0.0.1 and an ephemeral port."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        pass  # a client that gave up (timeout tests) is not an error here


@dataclass
class FakeSmsServer:
    token: str = "test-sms-token"
    # What the provider answers: (HTTP status, raw body).
    answer: tuple[int, bytes] = (200, b'{"code": "OK", "message_id": "m-1"}')
    received: list[dict] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None

    def start(self) -> FakeSmsServer:
        self._httpd = _QuietServer(("127.0.0.1", 0), _make_handler(self))
        threading.Thread(
            target=self._httpd.serve_forever, args=(0.05,), daemon=True
        ).start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    @property
    def url(self) -> str:
        assert self._httpd is not None
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}/sms/send"

    def codes_sent_to(self, phone: str) -> list[str]:
        with self._lock:
            return [m["params"]["code"] for m in self.received if m["phone"] == phone]

    def last_code(self, phone: str) -> str:
        return self.codes_sent_to(phone)[-1]


def _make_handler(server: FakeSmsServer) -> type[BaseHTTPRequestHandler]:
    class _Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            if self.headers.get("Authorization") != f"Bearer {server.token}":
                status, raw = 401, b'{"code": "Unauthorized"}'
            else:
                with server._lock:
                    server.received.append(json.loads(body))
                    server.headers.append(dict(self.headers))
                status, raw = server.answer
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return _Handler
