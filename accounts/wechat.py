"""The WeChat mini-program API client: the only module that talks to WeChat.

It wraps wechatpy's WeChatClient and points every endpoint at settings.WECHAT_API_BASE_URL
(tests run the real SDK against a local fake server). WeChat's answers are turned into
DomainErrors here, so callers never see wechatpy or requests exceptions.

Access tokens (needed by later calls such as subscribe messages, not by code2session) are
kept in the Django cache, so every process shares one token instead of each fetching its own.
"""

import logging
import time
from dataclasses import dataclass

import requests
from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext as _
from wechatpy.client import WeChatClient
from wechatpy.client.api.base import BaseWeChatAPI
from wechatpy.exceptions import APILimitedException, WeChatClientException
from wechatpy.session import SessionStorage

from accounts.errors import ErrorCode
from common.cache import cache_is_down
from common.errors import DomainError, NotAllowed, ServiceUnavailable

logger = logging.getLogger(__name__)

# wechatpy hard-codes this origin in its endpoint groups; it is replaced by the setting.
_SDK_ORIGIN = "https://api.weixin.qq.com/"

# code2session answers (developers.weixin.qq.com, "code2Session").
ERRCODE_INVALID_CODE = 40029
ERRCODE_CODE_USED = 40163
ERRCODE_RATE_LIMITED = 45011  # per-user minute quota of code2session
ERRCODE_RISKY_USER = 40226

# subscribeMessage.send answers (developers.weixin.qq.com, "subscribeMessage.send").
ERRCODE_NOT_SUBSCRIBED = 43101  # the user refused, or used up, the subscription
ERRCODE_INVALID_OPENID = 40003
ERRCODE_INVALID_TEMPLATE = 40037
ERRCODE_INVALID_PAGE = 41030
ERRCODE_INVALID_DATA = 47003
# WeChat will not deliver these messages; sending the same message again cannot help.
MESSAGE_REJECTED_ERRCODES = (
    ERRCODE_INVALID_OPENID,
    ERRCODE_INVALID_TEMPLATE,
    ERRCODE_INVALID_PAGE,
    ERRCODE_INVALID_DATA,
)


class WeChatUnavailable(ServiceUnavailable):
    """WeChat did not answer usefully; the call may be retried later."""

    def __init__(
        self,
        code: str = "wechat_unavailable",
        message: str | None = None,
    ) -> None:
        super().__init__(
            code,
            message or _("WeChat is not available right now, please try again later."),
        )


class WeChatRateLimited(WeChatUnavailable):
    """WeChat refused the call for frequency (45011). Retrying later may succeed."""

    status_code = 429

    def __init__(self) -> None:
        super().__init__(
            ErrorCode.WECHAT_RATE_LIMITED,
            _("Too many WeChat login attempts, please try again in a minute."),
        )


class WeChatCodeInvalid(DomainError):
    """The mini-program login code is wrong, expired or already used."""

    def __init__(self) -> None:
        super().__init__(
            ErrorCode.INVALID_WECHAT_CODE,
            _("The WeChat login code is invalid or has expired, please log in again."),
        )


class WeChatLoginRefused(NotAllowed):
    def __init__(self) -> None:
        super().__init__(
            ErrorCode.WECHAT_LOGIN_REFUSED,
            _("WeChat refused this login for security reasons."),
        )


class WeChatMessageRejected(DomainError):
    """WeChat refused a subscribe message for good (bad openid, template, page or data).

    `errcode` is WeChat's code. Sending the same message again will not help; callers
    fall back to another channel.
    """

    def __init__(
        self,
        errcode: int,
        code: str = "wechat_message_rejected",
        message: str | None = None,
    ) -> None:
        super().__init__(
            code, message or _("WeChat did not accept this message for delivery.")
        )
        self.errcode = errcode


class WeChatNotSubscribed(WeChatMessageRejected):
    """The user has not subscribed to this template, refused it or used it up (43101)."""

    def __init__(self) -> None:
        super().__init__(
            ERRCODE_NOT_SUBSCRIBED,
            "wechat_not_subscribed",
            _("The user has not agreed to receive this WeChat message."),
        )


@dataclass(frozen=True)
class WeChatSession:
    """The answer of code2session. session_key is a secret: never send it to a client."""

    openid: str
    session_key: str
    unionid: str | None = None

    def __repr__(self) -> str:  # keep the session key out of logs and tracebacks
        return f"WeChatSession(openid={self.openid!r}, unionid={self.unionid!r})"


class DjangoCacheStorage(SessionStorage):
    """wechatpy session storage on the Django cache (shared between processes with Redis).

    Each process also keeps its own copy, read only while the cache is unreachable: the
    cache then stores nothing, and wechatpy would fetch a new token for every call, read
    it back as missing and fetch again without end.
    """

    prefix = "wechatpy:"

    def get(self, key, default=None):
        value = cache.get(self.prefix + key)
        if value is None and cache_is_down():
            value, expires_at = _local_copy.get(key, (None, None))
            if expires_at is not None and expires_at <= time.monotonic():
                value = None
        return default if value is None else value

    def set(self, key, value, ttl=None):
        if value is None:
            return
        cache.set(self.prefix + key, value, ttl)
        _local_copy[key] = (value, None if ttl is None else time.monotonic() + ttl)

    def delete(self, key):
        cache.delete(self.prefix + key)
        _local_copy.pop(key, None)


# This process's copy of what DjangoCacheStorage stored: key -> (value, monotonic expiry).
_local_copy: dict[str, tuple[object, float | None]] = {}


class _Client(WeChatClient):
    # Endpoints authenticated by appid + secret, which must not trigger an access-token fetch.
    endpoints_without_access_token = ("sns/jscode2session",)

    def __init__(self, *, base_url: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.base_url = base_url
        self.API_BASE_URL = f"{base_url}cgi-bin/"
        # WeChatClient.__new__ gave this instance its own API objects (wxa, message, ...).
        for api in list(vars(self).values()):
            if isinstance(api, BaseWeChatAPI):
                sdk_base = getattr(api, "API_BASE_URL", "")
                if sdk_base.startswith(_SDK_ORIGIN):
                    api.API_BASE_URL = base_url + sdk_base[len(_SDK_ORIGIN) :]

    def _request(self, method, url_or_endpoint, **kwargs):
        if url_or_endpoint in self.endpoints_without_access_token:
            # wechatpy adds an access token to every call unless one is given; requests
            # drops parameters whose value is None, so nothing is sent.
            kwargs.setdefault("params", {}).setdefault("access_token", None)
        return super()._request(method, url_or_endpoint, **kwargs)

    def fetch_access_token(self):
        return self._fetch_access_token(
            url=f"{self.base_url}cgi-bin/token",
            params={
                "grant_type": "client_credential",
                "appid": self.appid,
                "secret": self.secret,
            },
        )


def get_client() -> WeChatClient:
    """A wechatpy client configured from settings (base URL, credentials, timeout)."""
    base_url = settings.WECHAT_API_BASE_URL
    if not base_url.endswith("/"):
        base_url += "/"
    return _Client(
        base_url=base_url,
        appid=settings.WECHAT_APP_ID,
        secret=settings.WECHAT_APP_SECRET,
        session=DjangoCacheStorage(),
        timeout=settings.WECHAT_TIMEOUT_SECONDS,
    )


def code_to_session(code: str) -> WeChatSession:
    """Exchange a wx.login() code for the user's openid (and unionid, session key).

    Raises WeChatCodeInvalid (400), WeChatRateLimited (429), WeChatLoginRefused (403) or
    WeChatUnavailable (503).
    """
    try:
        result = get_client().wxa.code_to_session(code)
    except WeChatClientException as exc:
        # wechatpy raises APILimitedException only for the app-wide limit (45009).
        if isinstance(exc, APILimitedException) or exc.errcode == ERRCODE_RATE_LIMITED:
            raise WeChatRateLimited() from None
        if exc.errcode in (ERRCODE_INVALID_CODE, ERRCODE_CODE_USED):
            raise WeChatCodeInvalid() from None
        if exc.errcode == ERRCODE_RISKY_USER:
            raise WeChatLoginRefused() from None
        logger.warning("WeChat code2session failed: errcode=%s", exc.errcode)
        raise WeChatUnavailable() from None
    except requests.RequestException as exc:
        logger.warning("WeChat code2session unreachable: %s", exc.__class__.__name__)
        raise WeChatUnavailable() from None

    # wechatpy returns the raw response when the body is not JSON.
    if not isinstance(result, dict):
        logger.warning("WeChat code2session answered a non-JSON body")
        raise WeChatUnavailable()
    openid = result.get("openid")
    session_key = result.get("session_key")
    if (
        not isinstance(openid, str)
        or not 0 < len(openid) <= 64
        or not isinstance(session_key, str)
    ):
        logger.warning("WeChat code2session answer lacks openid or session_key")
        raise WeChatUnavailable()
    unionid = result.get("unionid")
    if not isinstance(unionid, str) or not 0 < len(unionid) <= 64:
        unionid = None
    return WeChatSession(
        openid=openid,
        session_key=session_key,
        unionid=unionid,
    )


def send_subscribe_message(
    *, openid: str, template_id: str, data: dict[str, str], page: str = ""
) -> str | None:
    """Send a mini-program subscribe message (订阅消息) to `openid`.

    `data` maps the template's keywords to their values ({"thing1": "..."}); `page` is the
    mini-program page the message opens. Returns WeChat's msgid when it gives one.

    Raises WeChatNotSubscribed (43101: the user did not subscribe or used the
    subscription up), WeChatMessageRejected (bad openid, template, page or data) or
    WeChatUnavailable (no useful answer; worth retrying). An expired access token is
    refreshed and the call retried once by wechatpy.
    """
    payload = {key: {"value": value} for key, value in data.items()}
    try:
        result = get_client().wxa.send_subscribe_message(
            openid, template_id, payload, page=page or None
        )
    except WeChatClientException as exc:
        if exc.errcode == ERRCODE_NOT_SUBSCRIBED:
            raise WeChatNotSubscribed() from None
        if exc.errcode in MESSAGE_REJECTED_ERRCODES:
            logger.warning(
                "WeChat rejected a subscribe message: errcode=%s template=%s",
                exc.errcode,
                template_id,
            )
            raise WeChatMessageRejected(exc.errcode) from None
        logger.warning("WeChat subscribe message failed: errcode=%s", exc.errcode)
        raise WeChatUnavailable() from None
    except requests.RequestException as exc:
        logger.warning(
            "WeChat subscribe message unreachable: %s", exc.__class__.__name__
        )
        raise WeChatUnavailable() from None
    if not isinstance(result, dict):
        logger.warning("WeChat subscribe message answered a non-JSON body")
        raise WeChatUnavailable()
    msgid = result.get("msgid")
    return str(msgid) if msgid is not None else None
