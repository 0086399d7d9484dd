"""Who has a consult open right now, so a party who sees a message live is not also sent
a notification of it (consult.notifications.consult_message_notify).

Each open, authenticated socket (consult/consumers.py) counts itself in the cache under
the consult and its user while it lives: +1 when ready, −1 when it closes, and the key's
life renewed every REFRESH_SECONDS. A server that dies without closing its sockets leaves
its counts behind for at most PRESENCE_SECONDS after the last renewal. With the cache down
(common.cache answers as an empty cache) nobody is present: messages are notified, as
before the sockets existed. The counts live in the cache every process shares (Redis in
production; in the single development process, its local memory).
"""

from django.core.cache import cache

PRESENCE_SECONDS = 90  # a count lives this long without a renewal
REFRESH_SECONDS = 30  # how often an open socket renews it


def _key(consult_id: int, user_id: int) -> str:
    return f"consult:presence:{consult_id}:{user_id}"


def presence_enter(*, consult_id: int, user_id: int) -> None:
    key = _key(consult_id, user_id)
    cache.add(key, 0, PRESENCE_SECONDS)
    try:
        cache.incr(key)
    except ValueError:  # expired between the two calls, or the cache is down
        cache.add(key, 1, PRESENCE_SECONDS)
    cache.touch(key, PRESENCE_SECONDS)


def presence_refresh(*, consult_id: int, user_id: int) -> None:
    cache.touch(_key(consult_id, user_id), PRESENCE_SECONDS)


def presence_leave(*, consult_id: int, user_id: int) -> None:
    key = _key(consult_id, user_id)
    try:
        if cache.decr(key) <= 0:
            cache.delete(key)
    except ValueError:  # already expired: nothing to take back
        pass


def is_present(*, consult_id: int, user_id: int) -> bool:
    return (cache.get(_key(consult_id, user_id)) or 0) > 0
