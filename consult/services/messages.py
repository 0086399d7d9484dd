"""Messages of a consult: sending (text or an image, either party) and recalling one's own.

An image message's picture is stored by consult.services.images before the message is
sent here; recalling it deletes the image and, after commit, its file."""

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from common.errors import Conflict, DomainError
from common.events import publish
from common.services import Actor, operation_log_write
from consult.errors import ErrorCode
from consult.events import (
    ConsultMessageRecalled,
    ConsultMessageSent,
    ConsultStatusChanged,
)
from consult.image_files import image_file_delete_on_commit
from consult.models import Consult, ConsultImage, ConsultMessage
from consult.notifications import consult_accepted_notify, consult_message_notify

MESSAGE_MAX_LENGTH = 2000
RECALL_WINDOW = datetime.timedelta(minutes=2)
S = Consult.Status


def message_text_check(text: str) -> str:
    text = text.strip()
    if not text:
        raise DomainError(
            ErrorCode.CONSULT_MESSAGE_EMPTY,
            _("A message cannot be empty."),
            fields={"text": [_("A message cannot be empty.")]},
        )
    if len(text) > MESSAGE_MAX_LENGTH:
        message = _("A message has at most %(limit)d characters.") % {
            "limit": MESSAGE_MAX_LENGTH
        }
        raise DomainError(
            ErrorCode.CONSULT_MESSAGE_TOO_LONG, message, fields={"text": [message]}
        )
    return text


def consult_open_check(consult: Consult) -> None:
    """Messages (text or image) are sent only while the consult is waiting or in progress."""
    if consult.status not in (S.WAITING, S.IN_PROGRESS):
        raise Conflict(
            ErrorCode.CONSULT_NOT_OPEN, _("This consult is not open for messages.")
        )


@transaction.atomic
def message_send(
    *,
    actor: Actor,
    consult: Consult,
    sender: str,
    user: User,
    text: str = "",
    image: ConsultImage | None = None,
) -> ConsultMessage:
    """Send a text message, or an image message when `image` (already stored) is given.
    The doctor's first reply starts the consult."""
    if image is None:
        text = message_text_check(text)
    consult = Consult.objects.select_for_update().get(pk=consult.pk)
    consult_open_check(consult)
    now = timezone.now()
    message = ConsultMessage(
        consult=consult,
        sender=sender,
        sender_user=user,
        kind=ConsultMessage.Kind.TEXT if image is None else ConsultMessage.Kind.IMAGE,
        image=image,
        created_at=now,
    )
    if image is None:
        message.text = text  # encrypted on write (common.encrypted)
    message.full_clean()
    message.save()
    updates = {"last_message_at": now, "updated_at": now}
    accepted = consult.status == S.WAITING and sender == ConsultMessage.Sender.DOCTOR
    if accepted:
        updates |= {"status": S.IN_PROGRESS, "started_at": now}
    Consult.objects.filter(pk=consult.pk).update(**updates)
    # Told in this transaction (the outbox), after the consult row's lock.
    if accepted:
        consult_accepted_notify(consult=consult)
    else:
        consult_message_notify(consult=consult, message=message)
    publish(ConsultMessageSent(consult_id=consult.pk, message_id=message.pk))
    if "status" in updates:
        publish(ConsultStatusChanged(consult_id=consult.pk, status=updates["status"]))
    return message


@transaction.atomic
def message_recall(*, actor: Actor, message: ConsultMessage) -> ConsultMessage:
    """The sender takes back a message within RECALL_WINDOW; its text is erased."""
    now = timezone.now()
    if message.recalled_at is not None:
        raise Conflict(
            ErrorCode.MESSAGE_ALREADY_RECALLED, _("This message is already recalled.")
        )
    if now - message.created_at > RECALL_WINDOW:
        raise Conflict(
            ErrorCode.RECALL_WINDOW_PASSED,
            _("A message can be recalled only within 2 minutes."),
        )
    changed = ConsultMessage.objects.filter(
        pk=message.pk, recalled_at__isnull=True
    ).update(recalled_at=now, text_encrypted="")
    if changed != 1:
        raise Conflict(
            ErrorCode.MESSAGE_ALREADY_RECALLED, _("This message is already recalled.")
        )
    if message.image_id is not None:
        _message_image_delete(message.image_id)
    message.refresh_from_db()
    operation_log_write(actor=actor, action="consult.message_recall", obj=message)
    publish(
        ConsultMessageRecalled(consult_id=message.consult_id, message_id=message.pk)
    )
    return message


def _message_image_delete(image_id: int) -> None:
    """A recalled image is gone: its row now (the message's link turns null), its file
    after commit (a rollback keeps both)."""
    image = ConsultImage.objects.filter(pk=image_id).first()
    if image is not None:
        image.delete()
        image_file_delete_on_commit(image.storage_name)
