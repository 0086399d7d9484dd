"""Consult images: the patient's problem images (at most PROBLEM_IMAGES_MAX per consult)
and image messages (either party, under consult.services.messages' rules).

Each upload: the cheap refusals first (who, the consult's state, the count), then the
content is checked and re-encoded (consult.images, outside any transaction), the file is
written (consult.image_files), and only then the transaction: the consult row is locked
first (as message_send does; the image row's foreign key would otherwise take a shared
lock on it that two uploads upgrade into a deadlock), the refusals are checked again under
the lock, the rows are inserted and the upload is logged. Any failure after the file was
written (a refusal under the lock, a database error) deletes the file: a refused upload
leaves neither a row nor a file.
"""

from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from common.errors import Conflict, NotAllowed
from common.services import Actor, operation_log_write
from consult.errors import ErrorCode
from consult.image_files import StoredFile, image_file_delete, image_file_store
from consult.images import CleanImage, image_clean
from consult.models import Consult, ConsultImage, ConsultMessage
from consult.services.messages import consult_open_check, message_send

PROBLEM_IMAGES_MAX = 9
T = TypeVar("T")
S = Consult.Status
# Problem images may be added until the consult ends (closed, rated or cancelled).
PROBLEM_IMAGES_OPEN = (S.AWAITING_PAYMENT, S.WAITING, S.IN_PROGRESS)


def problem_image_uploader_check(*, consult: Consult, user: User) -> None:
    """Only the consult's patient adds problem images (the doctor gets 403)."""
    if consult.user_id != user.pk:
        raise NotAllowed(
            ErrorCode.CONSULT_IMAGE_PATIENT_ONLY,
            _("Only the patient adds images of the problem."),
        )


def _problem_image_check(consult: Consult) -> None:
    if consult.status not in PROBLEM_IMAGES_OPEN:
        raise Conflict(ErrorCode.CONSULT_NOT_OPEN, _("This consult is not open."))
    count = ConsultImage.objects.filter(
        consult=consult, kind=ConsultImage.Kind.PROBLEM
    ).count()
    if count >= PROBLEM_IMAGES_MAX:
        raise Conflict(
            ErrorCode.CONSULT_IMAGE_LIMIT_REACHED,
            _("A consult has at most %(limit)d problem images.")
            % {"limit": PROBLEM_IMAGES_MAX},
        )


def _image_row(
    *, consult: Consult, user: User, kind: str, clean: CleanImage, stored: StoredFile
) -> ConsultImage:
    image = ConsultImage(
        consult=consult,
        uploaded_by=user,
        kind=kind,
        storage_name=stored.name,
        content_type=clean.content_type,
        width=clean.width,
        height=clean.height,
        size=len(clean.content),
        key_id=stored.key_id,
        created_at=timezone.now(),
    )
    image.full_clean()
    image.save()
    return image


def _stored_then(clean: CleanImage, write: Callable[[StoredFile], T]) -> T:
    """Store the file, then run `write` (a transaction); the file goes if `write` fails."""
    stored = image_file_store(clean.content)
    try:
        return write(stored)
    except BaseException:
        image_file_delete(stored.name)
        raise


def problem_image_add(
    *, actor: Actor, consult: Consult, user: User, content: bytes
) -> ConsultImage:
    """The consult's patient adds an image of the problem (JPEG, PNG or WebP)."""
    problem_image_uploader_check(consult=consult, user=user)
    _problem_image_check(consult)
    clean = image_clean(content, max_bytes=settings.CONSULT_IMAGE_MAX_BYTES)

    @transaction.atomic
    def write(stored: StoredFile) -> ConsultImage:
        locked = Consult.objects.select_for_update().get(pk=consult.pk)
        _problem_image_check(locked)
        image = _image_row(
            consult=locked,
            user=user,
            kind=ConsultImage.Kind.PROBLEM,
            clean=clean,
            stored=stored,
        )
        operation_log_write(
            actor=actor, action="consult.image_upload", obj=image, summary=image.kind
        )
        return image

    return _stored_then(clean, write)


def message_image_send(
    *, actor: Actor, consult: Consult, sender: str, user: User, content: bytes
) -> ConsultMessage:
    """A party sends an image as a message, while the consult is open for messages."""
    consult_open_check(consult)
    clean = image_clean(content, max_bytes=settings.CONSULT_IMAGE_MAX_BYTES)

    @transaction.atomic
    def write(stored: StoredFile) -> ConsultMessage:
        locked = Consult.objects.select_for_update().get(pk=consult.pk)
        image = _image_row(
            consult=locked,
            user=user,
            kind=ConsultImage.Kind.MESSAGE,
            clean=clean,
            stored=stored,
        )
        message = message_send(
            actor=actor, consult=locked, sender=sender, user=user, image=image
        )
        operation_log_write(
            actor=actor, action="consult.image_upload", obj=image, summary=image.kind
        )
        return message

    return _stored_then(clean, write)
