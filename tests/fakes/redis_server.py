"""A tiny Redis on a local port, for the cache-outage tests.

It speaks just enough RESP for the real redis-py client behind django-redis (GET, SET,
DEL, PING, and CLIENT SETINFO on connect), and it can be switched between three states:

- "up": answers;
- "down": accepts each connection and closes it at once (a crashed or restarting server);
- "hang": accepts and reads but never answers (a partitioned or overloaded server).

    with FakeRedis() as redis_server:
        redis_server.state = "hang"
        ...  # point CACHES at redis_server.url; redis_server.commands counts what arrived
"""

from __future__ import annotations

import socket
import socketserver
import threading
from typing import Self


class _Handler(socketserver.BaseRequestHandler):
    server: _Server

    def handle(self) -> None:
        fake = self.server.fake
        fake.connections += 1
        if fake.state == "down":
            return  # closing the connection is all the client gets
        reader = self.request.makefile("rb")
        while True:
            command = _read_command(reader)
            if command is None:
                return
            fake.commands.append(command)
            if fake.state == "hang":
                fake.released.wait(timeout=10)
                return
            self.request.sendall(fake.answer(command))


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    fake: FakeRedis


def _read_command(reader) -> list[bytes] | None:
    line = reader.readline()
    if not line.startswith(b"*"):
        return None
    parts = []
    for _ in range(int(line[1:])):
        length = int(reader.readline()[1:])
        parts.append(reader.read(length + 2)[:-2])
    return parts


def _bulk(value: bytes | None) -> bytes:
    if value is None:
        return b"$-1\r\n"
    return b"$%d\r\n%s\r\n" % (len(value), value)


class FakeRedis:
    def __init__(self) -> None:
        self.state = "up"
        self.data: dict[bytes, bytes] = {}
        self.connections = 0
        self.commands: list[list[bytes]] = []
        self.released = threading.Event()  # ends the waits of a hung server
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.fake = self
        self.url = f"redis://127.0.0.1:{self._server.server_address[1]}/0"

    def answer(self, command: list[bytes]) -> bytes:
        name = command[0].upper()
        if name == b"GET":
            return _bulk(self.data.get(command[1]))
        if name == b"SET":
            self.data[command[1]] = command[2]
            return b"+OK\r\n"
        if name == b"DEL":
            found = sum(self.data.pop(key, None) is not None for key in command[1:])
            return b":%d\r\n" % found
        if name == b"PING":
            return b"+PONG\r\n"
        if name == b"CLIENT":
            return b"+OK\r\n"
        return b"-ERR unknown command in the fake\r\n"

    def start(self) -> Self:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.released.set()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def closed_port() -> int:
    """A local port where nothing listens (bound once by us, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
