"""The HTTP plumbing every fake server shares; a subclass keeps only its protocol.

A fake binds 127.0.0.1 on an ephemeral port and serves from a thread. A subclass is a
dataclass that implements `handle(request) -> Reply`; everything HTTP (reading the body,
encoding JSON answers, recording requests, start/stop) happens here.

    @dataclass
    class FakeEcho(FakeServer):
        def handle(self, request: Request) -> Reply:
            return Reply(200, {"you_sent": request.json()})

    with FakeEcho() as server:
        ...  # talk to server.url; every request is in server.http_requests
"""

from __future__ import annotations

import json
import sys
import threading
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar, Self
from urllib.parse import parse_qsl, urlsplit


@dataclass(frozen=True)
class Request:
    """One HTTP request as the fake received it."""

    method: str
    target: str  # as on the request line: path and query string
    path: str
    query: dict[str, str]
    headers: Message  # case-insensitive lookups, like a real server
    body: bytes = b""

    def json(self) -> Any:
        return json.loads(self.body) if self.body else {}


@dataclass(frozen=True)
class Reply:
    """An answer: bytes are sent as they are, anything else as JSON (UTF-8, not escaped)."""

    status: int
    payload: bytes | dict[str, Any] | list[Any] = b""

    def raw(self) -> bytes:
        if isinstance(self.payload, bytes):
            return self.payload
        return json.dumps(self.payload, ensure_ascii=False).encode()


@dataclass(eq=False)
class FakeServer:
    # Every request received, in order (a subclass may keep its own protocol-level log).
    http_requests: list[Request] = field(default_factory=list, init=False, repr=False)
    # Guards the fake's state: requests are served on several threads at once.
    _lock: threading.Lock = field(
        default_factory=threading.Lock, init=False, repr=False
    )
    _httpd: _HttpServer | None = field(default=None, init=False, repr=False)
    _thread: threading.Thread | None = field(default=None, init=False, repr=False)

    content_type: ClassVar[str] = "application/json; charset=utf-8"
    # What `url` points at, after the origin.
    url_path: ClassVar[str] = "/"

    # -- what a subclass provides ------------------------------------------------------

    def handle(self, request: Request) -> Reply:
        raise NotImplementedError

    def reply_headers(self, raw: bytes) -> dict[str, str]:
        """Headers to add to an answer whose body is `raw` (e.g. its signature)."""
        return {}

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> Self:
        self._httpd = _HttpServer(self)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, args=(0.05,), daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def origin(self) -> str:
        assert self._httpd is not None, "server not started"
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def url(self) -> str:
        return self.origin + self.url_path

    # -- called by the request handler -------------------------------------------------

    def _serve(self, request: Request) -> tuple[Reply, bytes]:
        with self._lock:
            self.http_requests.append(request)
        reply = self.handle(request)
        return reply, reply.raw()


class _HttpServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, fake: FakeServer) -> None:
        super().__init__(("127.0.0.1", 0), _RequestHandler)
        self.fake = fake

    def handle_error(self, request: object, client_address: object) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError):
            return  # a client that gave up (timeout tests) is not an error here
        super().handle_error(request, client_address)


class _RequestHandler(BaseHTTPRequestHandler):
    server: _HttpServer

    def _dispatch(self, method: str) -> None:
        fake = self.server.fake
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        request = Request(
            method=method,
            target=self.path,
            path=parts.path,
            query=dict(parse_qsl(parts.query, keep_blank_values=True)),
            headers=self.headers,
            body=self.rfile.read(length) if length else b"",
        )
        reply, raw = fake._serve(request)
        self.send_response(reply.status)
        self.send_header("Content-Type", fake.content_type)
        self.send_header("Content-Length", str(len(raw)))
        for name, value in fake.reply_headers(raw).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(raw)

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def log_message(self, format: str, *args: object) -> None:
        pass  # keep test output quiet
