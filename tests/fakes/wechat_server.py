"""A local fake of the WeChat API for tests: the real wechatpy client talks to it over HTTP.

It binds 127.0.0.1 on an ephemeral port and runs in a thread. Tests register login codes
and the answer each should get, then read `requests` to see what the SDK sent.

    server = FakeWeChatServer(app_id="wx-test", app_secret="s3cret").start()
    server.add_login_code("code-1", openid="o-1", session_key="sk-1", unionid="u-1")
    server.fail_code("code-2", errcode=40029)
    ...
    server.stop()

Implemented endpoints:
- GET /sns/jscode2session  (appid/secret checked; each code works once, like WeChat)
- GET /cgi-bin/token       (client_credential; issues access tokens)
- POST /cgi-bin/message/subscribe/send  (access token checked; accepted messages are kept
  in `subscribe_messages`, every call counted in `subscribe_calls`)

    server.fail_subscribe(errcode=43101, openid="o-1")  # refuse messages to o-1
    server.fail_subscribe(errcode=-1)                   # refuse every message
    server.fail_subscribe(None)                         # accept again
    server.subscribe_delay = 0.2                        # answer slowly (race tests)
    server.expire_access_tokens()                       # next call gets 42001

Further endpoints are added with `server.add_route(method, path, handler)`, where
`handler(server, query: dict[str, str], body: bytes) -> tuple[int, dict | bytes]`.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from tests.fakes.base import FakeServer, Reply, Request

Handler = Callable[
    ["FakeWeChatServer", dict[str, str], bytes], tuple[int, "dict | bytes"]
]


@dataclass
class _CodeAnswer:
    payload: dict
    status: int = 200


@dataclass(eq=False)
class FakeWeChatServer(FakeServer):
    app_id: str = "wx-test-app"
    app_secret: str = "test-app-secret"
    access_tokens: set[str] = field(default_factory=set)
    # Subscribe messages WeChat accepted: {"touser", "template_id", "page", "data"}.
    subscribe_messages: list[dict] = field(default_factory=list)
    subscribe_calls: int = 0
    # Seconds to wait before answering a subscribe message.
    subscribe_delay: float = 0.0

    def __post_init__(self) -> None:
        # errcode to answer subscribe messages with, per openid (None: every openid).
        self._subscribe_errcodes: dict[str | None, int] = {}
        self._codes: dict[str, _CodeAnswer] = {}
        self._used_codes: set[str] = set()
        self._routes: dict[tuple[str, str], Handler] = {
            ("GET", "/sns/jscode2session"): _jscode2session,
            ("GET", "/cgi-bin/token"): _token,
            ("POST", "/cgi-bin/message/subscribe/send"): _subscribe_send,
        }

    @property
    def base_url(self) -> str:
        """The origin to put in settings.WECHAT_API_BASE_URL (with a trailing slash)."""
        return self.url

    @property
    def requests(self) -> list[Request]:
        """Every request received, in order (what the SDK sent)."""
        return self.http_requests

    def handle(self, request: Request) -> Reply:
        route = self._routes.get((request.method, request.path))
        if route is None:
            return Reply(404, {"errcode": 404, "errmsg": "no such endpoint"})
        return Reply(*route(self, request.query, request.body))

    # -- scripting answers -------------------------------------------------------------

    def add_login_code(
        self,
        code: str,
        *,
        openid: str,
        session_key: str,
        unionid: str | None = None,
    ) -> None:
        payload = {"openid": openid, "session_key": session_key}
        if unionid is not None:
            payload["unionid"] = unionid
        with self._lock:
            self._codes[code] = _CodeAnswer(payload)

    def fail_code(
        self, code: str, *, errcode: int, errmsg: str = "fake error", status: int = 200
    ) -> None:
        with self._lock:
            self._codes[code] = _CodeAnswer(
                {"errcode": errcode, "errmsg": errmsg}, status=status
            )

    def answer_code_raw(self, code: str, *, status: int, payload: dict) -> None:
        """Answer `code` with an arbitrary JSON body (e.g. a malformed success)."""
        with self._lock:
            self._codes[code] = _CodeAnswer(payload, status=status)

    def fail_subscribe(self, errcode: int | None, *, openid: str | None = None) -> None:
        """Answer subscribe messages (to `openid`, or to anyone) with `errcode`; None: accept."""
        with self._lock:
            if errcode is None:
                self._subscribe_errcodes.pop(openid, None)
            else:
                self._subscribe_errcodes[openid] = errcode

    def expire_access_tokens(self) -> None:
        with self._lock:
            self.access_tokens.clear()

    def subscribe_messages_to(self, openid: str) -> list[dict]:
        with self._lock:
            return [m for m in self.subscribe_messages if m["touser"] == openid]

    def add_route(self, method: str, path: str, handler: Handler) -> None:
        self._routes[(method.upper(), path)] = handler

    def requests_to(self, path: str) -> list[Request]:
        with self._lock:
            return [r for r in self.requests if r.path == path]

    # -- used by handlers --------------------------------------------------------------

    def credentials_ok(self, query: dict[str, str]) -> bool:
        return (
            query.get("appid") == self.app_id and query.get("secret") == self.app_secret
        )

    def issue_access_token(self) -> str:
        token = "fake-access-token-" + secrets.token_hex(8)
        with self._lock:
            self.access_tokens.add(token)
        return token

    def access_token_ok(self, query: dict[str, str]) -> bool:
        with self._lock:
            return query.get("access_token") in self.access_tokens


def _jscode2session(
    server: FakeWeChatServer, query: dict[str, str], body: bytes
) -> tuple[int, dict | bytes]:
    if not server.credentials_ok(query):
        return 200, {"errcode": 40125, "errmsg": "invalid appsecret"}
    if query.get("grant_type") != "authorization_code":
        return 200, {"errcode": 40002, "errmsg": "invalid grant_type"}
    code = query.get("js_code", "")
    with server._lock:
        answer = server._codes.get(code)
        if answer is None:
            return 200, {"errcode": 40029, "errmsg": "invalid code"}
        if "openid" in answer.payload:
            # WeChat accepts a login code once.
            if code in server._used_codes:
                return 200, {"errcode": 40163, "errmsg": "code been used"}
            server._used_codes.add(code)
    return answer.status, dict(answer.payload)


def _token(
    server: FakeWeChatServer, query: dict[str, str], body: bytes
) -> tuple[int, dict | bytes]:
    if query.get("grant_type") != "client_credential":
        return 200, {"errcode": 40002, "errmsg": "invalid grant_type"}
    if not server.credentials_ok(query):
        return 200, {"errcode": 40125, "errmsg": "invalid appsecret"}
    return 200, {"access_token": server.issue_access_token(), "expires_in": 7200}


def _subscribe_send(
    server: FakeWeChatServer, query: dict[str, str], body: bytes
) -> tuple[int, dict | bytes]:
    if server.subscribe_delay:
        time.sleep(server.subscribe_delay)
    with server._lock:
        server.subscribe_calls += 1
    if not server.access_token_ok(query):
        return 200, {"errcode": 42001, "errmsg": "access_token expired"}
    try:
        message = json.loads(body)
    except ValueError:
        return 200, {"errcode": 47001, "errmsg": "data format error"}
    data = message.get("data") if isinstance(message, dict) else None
    if (
        not isinstance(message, dict)
        or not message.get("touser")
        or not message.get("template_id")
        or not isinstance(data, dict)
        or not all(
            isinstance(item, dict) and isinstance(item.get("value"), str)
            for item in data.values()
        )
    ):
        return 200, {"errcode": 47003, "errmsg": "argument invalid!"}
    with server._lock:
        errcode = server._subscribe_errcodes.get(
            message["touser"], server._subscribe_errcodes.get(None)
        )
        if errcode is not None:
            return 200, {"errcode": errcode, "errmsg": "fake refusal"}
        server.subscribe_messages.append(
            {
                "touser": message["touser"],
                "template_id": message["template_id"],
                "page": message.get("page"),
                "data": {key: item["value"] for key, item in data.items()},
            }
        )
        msgid = 1000 + len(server.subscribe_messages)
    return 200, {"errcode": 0, "errmsg": "ok", "msgid": msgid}
