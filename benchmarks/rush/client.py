"""One keep-alive HTTP connection of the Python load client, to the benchmark's server."""

import http.client

# What a failed request raises: no answer (refused, reset, timed out) or a broken answer.
REQUEST_ERRORS = (OSError, http.client.HTTPException)


class Connection:
    """One keep-alive connection; reconnects once if the server dropped it while idle."""

    STALE = (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError)

    def __init__(self, port: int, timeout: float) -> None:
        self.port = port
        self.timeout = timeout
        self.conn: http.client.HTTPConnection | None = None
        self.retried = 0

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def request(
        self, method: str, path: str, body: bytes | None, headers: dict[str, str]
    ) -> tuple[int, bytes]:
        for attempt in range(2):
            reused = self.conn is not None
            if self.conn is None:
                self.conn = http.client.HTTPConnection(
                    "127.0.0.1", self.port, timeout=self.timeout
                )
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
            except self.STALE:
                self.close()
                # A reused connection closed before any answer: the server never read the
                # request (it drops only idle connections), so sending it again is safe.
                if reused and attempt == 0:
                    self.retried += 1
                    continue
                raise
            except BaseException:
                self.close()
                raise
            if response.will_close:
                self.close()
            return response.status, data
        raise AssertionError("unreachable")
