"""Reads of the in-app inbox, scoped to the caller."""

from django.conf import settings
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from appointments.errors import ErrorCode
from appointments.models import Notification
from common.errors import NotFound


def notification_list_for_user(*, user: User) -> QuerySet[Notification]:
    """The user's inbox, newest first. Every notification is in it, whatever its delivery."""
    return Notification.objects.filter(user=user).order_by("-created_at", "-pk")


def notification_unread_count(*, user: User) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def notification_get_for_user(*, user: User, notification_id: int) -> Notification:
    """One of the user's notifications; anyone else's id answers 404."""
    notification = (
        notification_list_for_user(user=user).filter(pk=notification_id).first()
    )
    if notification is None:
        raise NotFound(ErrorCode.NOTIFICATION_NOT_FOUND, _("Notification not found."))
    return notification


def notification_subscribe_templates() -> list[dict]:
    """The WeChat subscribe-message templates in use, one per event that has one.

    The mini-program asks the patient's consent for these ids (wx.requestSubscribeMessage);
    an event without a template id (settings.NOTIFICATIONS) is not sent through WeChat.
    """
    events = settings.NOTIFICATIONS["EVENTS"]
    return [
        {
            "event": event.value,
            "event_display": event.label,
            "template_id": events[event.value]["template_id"],
        }
        for event in Notification.Event
        if events.get(event.value, {}).get("template_id")
    ]
