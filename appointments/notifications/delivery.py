"""The notification outbox: writing a row with its event, delivering it, sweeping.

Guarantees
----------
- A notification is never lost. The row is written in the transaction of the event that
  causes it, so the event cannot commit without it. Delivery is queued after the commit; a
  broker that cannot be reached is logged and swallowed (the event has committed, the row
  stays pending), and the sweeper sends rows still pending a while later. A broker or
  worker outage delays messages; it never drops them.
- A claim sends at most once. Delivery claims a row with a conditional UPDATE
  (pending -> sending, WHERE status = pending AND next_attempt_at <= now). Only one of
  several tasks or sweepers racing for the row can win it, so they never both send it.
- A crash between sending and marking the row sent is resolved towards at-least-once: the
  row stays in "sending", and after SENDING_TIMEOUT_SECONDS the sweeper returns it to
  pending and it is sent again. If the crash came after WeChat or the SMS provider had
  accepted the message, the patient gets it twice. The other choice (failing such rows)
  would silently lose a message, typically a visit reminder, which is worse than a
  duplicate; and the window is only the moment between the provider's answer and our
  UPDATE.

Channels: a WeChat subscribe message when the user has an openid and the event has a
template; a text message when WeChat cannot deliver (no openid, no template, refused) or
stays unavailable; the in-app inbox always, because the row itself is the inbox entry.
"""

import datetime
import logging
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from accounts import sms, wechat
from accounts.selectors import profile_phone
from appointments.events import NotificationCreated
from appointments.models import Notification, NotificationThrottle
from appointments.notifications.messages import (
    BODY_MAX,
    TITLE_MAX,
    event_settings,
    message_texts,
    page_for,
    sms_text,
    wechat_data,
)
from common.events import publish

logger = logging.getLogger(__name__)

N = Notification
REFUSED = "refused:"

# Publishing to a broker that is down must not hold the request that caused the event for
# long: one quick retry, then the sweeper takes over.


@transaction.atomic
def notification_create(
    *,
    user_id: int,
    event: str,
    dedupe_key: str,
    context: dict[str, str],
    appointment_id: int | None = None,
    profile_id: int | None = None,
    now: datetime.datetime | None = None,
    texts: tuple[str, str] | None = None,
) -> Notification | None:
    """Write the outbox row (and inbox entry) of an event; queue its delivery after commit.

    Call it inside the transaction of the event. Returns None, writing nothing, when a row
    with the same dedupe key exists (the event was already notified).

    `texts`: the (title, body) of an event of a higher app (an online consult), which
    words its own messages; appointments' events take theirs from messages.py.
    """
    now = now or timezone.now()
    if texts is None:
        title, body = message_texts(event, context)
    else:
        title, body = texts[0][:TITLE_MAX], texts[1][:BODY_MAX]
    notification = Notification(
        user_id=user_id,
        appointment_id=appointment_id,
        profile_id=profile_id,
        event=event,
        dedupe_key=dedupe_key,
        title=title,
        body=body,
        page=page_for(event, context),
        context=context,
        next_attempt_at=now,
    )
    # The related ids come from the caller's rows; checking them would cost queries.
    notification.full_clean(
        exclude=["user", "appointment", "profile"],
        validate_unique=False,
        validate_constraints=False,
    )
    try:
        with transaction.atomic():
            notification.save(force_insert=True)
    except IntegrityError:
        if Notification.objects.filter(dedupe_key=dedupe_key).exists():
            return None  # notified already (a repeated event or a concurrent sweeper)
        raise
    # Delivery is queued after commit (appointments.tasks); if the broker cannot be
    # reached then, the sweeper sends it later.
    publish(NotificationCreated(notification_id=notification.pk))
    return notification


def notification_throttle_claim(
    *,
    key: str,
    window: datetime.timedelta,
    now: datetime.datetime | None = None,
) -> bool:
    """Whether a throttled message under `key` may be written now: True at most once per
    `window`, however many callers ask at the same moment. Call it inside the event's
    transaction; the claim commits or rolls back with it.

    The claim is a conditional UPDATE of the key's row (`last_at` older than the window),
    so of two concurrent callers one updates it and the other, once the first commits,
    finds it recent (InnoDB re-reads the row it waited for). The first message of a key
    inserts the row instead; a concurrent first insert fails on the unique key after the
    winner commits, and that caller is throttled.
    """
    now = now or timezone.now()
    claimed = NotificationThrottle.objects.filter(
        key=key, last_at__lte=now - window
    ).update(last_at=now)
    if claimed:
        return True
    if NotificationThrottle.objects.filter(key=key).exists():
        return False
    try:
        with transaction.atomic():
            NotificationThrottle.objects.create(key=key, last_at=now)
    except IntegrityError:
        return False  # another caller wrote the first one at the same moment
    return True


@dataclass(frozen=True)
class DeliveryResult:
    # "sent", "failed", "deferred" (retry in `retry_in` seconds) or "not_claimed" (not due,
    # already sent, or another process has it).
    status: str
    retry_in: int | None = None


def retry_delay_seconds(attempts: int) -> int:
    conf = settings.NOTIFICATIONS
    return min(
        conf["RETRY_MAX_SECONDS"],
        conf["RETRY_BASE_SECONDS"] * 2 ** max(attempts - 1, 0),
    )


def _phone(notification: Notification) -> str:
    if notification.profile is not None and notification.profile.phone_encrypted:
        return profile_phone(notification.profile)
    return notification.user.phone or ""


def _send(notification: Notification) -> tuple[str | None, bool]:
    """Try the channels in order. Returns (channel that delivered, whether to retry later).

    Records each channel's outcome on the (unsaved) object. Runs outside any transaction:
    these are network calls.
    """
    config = event_settings(notification.event)
    final_attempt = notification.attempts >= settings.NOTIFICATIONS["MAX_ATTEMPTS"]

    if not notification.wechat_result.startswith(REFUSED):
        template_id = config.get("template_id")
        openid = notification.user.wechat_openid
        if not template_id:
            notification.wechat_result = "no_template"
        elif not openid:
            notification.wechat_result = "no_openid"
        else:
            try:
                wechat.send_subscribe_message(
                    openid=openid,
                    template_id=template_id,
                    data=wechat_data(
                        config.get("data", {}),
                        notification.context | {"title": notification.title},
                    ),
                    page=notification.page,
                )
            except wechat.WeChatMessageRejected as exc:
                notification.wechat_result = f"{REFUSED}{exc.errcode}"
            except wechat.WeChatUnavailable:
                notification.wechat_result = "unavailable"
                if not final_attempt:
                    return None, True  # WeChat may be back soon: try it again first
            else:
                notification.wechat_result = "ok"
                return N.Channel.WECHAT, False

    if not config.get("sms"):
        notification.sms_result = "off"
        return N.Channel.INBOX, False
    phone = _phone(notification)
    if not phone:
        notification.sms_result = "no_phone"
        return N.Channel.INBOX, False
    try:
        sms.send_notification(phone=phone, text=sms_text(notification))
    except sms.SmsUnavailable:
        notification.sms_result = "unavailable"
        return None, not final_attempt
    notification.sms_result = "ok"
    return N.Channel.SMS, False


def notification_deliver(
    *, notification_id: int, now: datetime.datetime | None = None
) -> DeliveryResult:
    """Claim a due pending notification, send it, and record the outcome.

    Not atomic: the claim commits before the network calls, so a concurrent claimer sees
    it at once. Safe to call from any number of tasks and sweepers at the same time.
    """
    now = now or timezone.now()
    claimed = Notification.objects.filter(
        pk=notification_id, status=N.Status.PENDING, next_attempt_at__lte=now
    ).update(
        status=N.Status.SENDING,
        claimed_at=now,
        attempts=F("attempts") + 1,
        updated_at=now,
    )
    if claimed != 1:
        return DeliveryResult("not_claimed")
    notification = Notification.objects.select_related("user", "profile").get(
        pk=notification_id
    )

    channel, retry = _send(notification)

    results = {
        "wechat_result": notification.wechat_result,
        "sms_result": notification.sms_result,
        "updated_at": timezone.now(),
    }
    if channel is not None:
        result = DeliveryResult("sent")
        changes = results | {
            "status": N.Status.SENT,
            "channel": channel,
            "sent_at": timezone.now(),
        }
    elif retry:
        delay = retry_delay_seconds(notification.attempts)
        result = DeliveryResult("deferred", retry_in=delay)
        changes = results | {
            "status": N.Status.PENDING,
            "next_attempt_at": now + datetime.timedelta(seconds=delay),
            "claimed_at": None,
        }
    else:
        result = DeliveryResult("failed")
        changes = results | {"status": N.Status.FAILED}
    # `attempts` identifies this claim: if the sweeper took the row back meanwhile (it
    # thought this worker dead), this late answer must not overwrite the new claim's.
    marked = Notification.objects.filter(
        pk=notification_id, status=N.Status.SENDING, attempts=notification.attempts
    ).update(**changes)
    if marked != 1:
        logger.warning(
            "notification %s was reclaimed while being sent (%s)",
            notification_id,
            result.status,
        )
    logger.info(
        "notification %s %s: %s wechat=%s sms=%s attempt=%s",
        notification_id,
        notification.event,
        result.status,
        notification.wechat_result,
        notification.sms_result,
        notification.attempts,
    )
    return result


def notifications_sweep(
    *,
    now: datetime.datetime | None = None,
    limit: int = 200,
    time_budget_seconds: float = 45.0,
) -> int:
    """Send what the queued tasks did not: rows pending since SWEEP_AFTER_SECONDS ago.

    Also returns rows stuck in "sending" (their worker died) to pending, or fails them
    when they are out of attempts. Returns the number of notifications sent. Stops after
    `limit` rows or `time_budget_seconds` (the next run goes on), within the task's limit.
    """
    now = now or timezone.now()
    conf = settings.NOTIFICATIONS
    stuck = Notification.objects.filter(
        status=N.Status.SENDING,
        claimed_at__lte=now
        - datetime.timedelta(seconds=conf["SENDING_TIMEOUT_SECONDS"]),
    )
    failed = stuck.filter(attempts__gte=conf["MAX_ATTEMPTS"]).update(
        status=N.Status.FAILED, updated_at=now
    )
    returned = stuck.update(
        status=N.Status.PENDING, next_attempt_at=now, claimed_at=None, updated_at=now
    )
    if failed or returned:
        logger.warning(
            "notifications stuck in sending: %s back to pending, %s failed",
            returned,
            failed,
        )

    due_before = now - datetime.timedelta(seconds=conf["SWEEP_AFTER_SECONDS"])
    due = list(
        Notification.objects.filter(
            status=N.Status.PENDING, next_attempt_at__lte=due_before
        )
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    stop_at = time.monotonic() + time_budget_seconds
    sent = 0
    for notification_id in due:
        if time.monotonic() > stop_at:
            break
        result = notification_deliver(notification_id=notification_id, now=now)
        sent += result.status == "sent"
    return sent
