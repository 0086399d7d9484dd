"""Whether a login session was logged out (accounts.services.tokens revokes them).

Asked by every authenticated request (accounts.auth), so the answer is cached in Redis and,
for a second, in the process itself.
"""

import time

from django.core.cache import cache

from accounts.models import RevokedLoginSession

# A session's "not revoked" is remembered this long in Redis, and for a second in the
# process itself; a revocation is written over the shared entry at once and drops the
# process' own (accounts.services.tokens), so another process honours it within a second.
REVOKED_CHECK_SECONDS = 30
REVOKED_CHECK_LOCAL_SECONDS = 1.0
_LOCAL_LIMIT = 50_000
_not_revoked_until: dict[str, float] = {}


def login_session_revoked_key(sid: str) -> str:
    return f"accounts:sid-revoked:{sid}"


def login_session_is_revoked(*, sid: str) -> bool:
    """Whether the login session `sid` was logged out (accounts.services.tokens).

    Asked on every authenticated request, so the answer is cached: a revocation stores
    True after its commit; a database answer of False is stored only where nothing is
    (`add`), so it never overwrites a revocation that raced it. "Not revoked" is also
    remembered in this process for REVOKED_CHECK_LOCAL_SECONDS: a rush of one patient's
    requests asks Redis once a second, not once a request.
    """
    now = time.monotonic()
    if _not_revoked_until.get(sid, 0.0) > now:
        return False
    key = login_session_revoked_key(sid)
    known = cache.get(key)
    if known is None:
        revoked = RevokedLoginSession.objects.filter(sid=sid).exists()
        if revoked:
            cache.set(key, 1, REVOKED_CHECK_SECONDS)
        else:
            cache.add(key, 0, REVOKED_CHECK_SECONDS)
    else:
        revoked = bool(known)
    if not revoked:
        if len(_not_revoked_until) >= _LOCAL_LIMIT:
            _not_revoked_until.clear()
        _not_revoked_until[sid] = now + REVOKED_CHECK_LOCAL_SECONDS
    return revoked


def login_session_forget(*, sid: str | None = None) -> None:
    """The session was just revoked: this process asks again at its next request
    (every session's, without `sid`: the tests' clean slate)."""
    if sid is None:
        _not_revoked_until.clear()
    else:
        _not_revoked_until.pop(sid, None)
