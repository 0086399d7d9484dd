"""Attachment files: the type from the content, the size cap, encrypted storage.

Only PDF, JPEG and PNG are taken, decided by the first bytes of the content; the name's
extension must agree, so a PNG (or a text) named .pdf is refused. The content is
encrypted (common.filecrypto) before it reaches the storage named by
settings.RECORD_ATTACHMENT_STORAGE (a key of STORAGES: the local media folder by
default, S3-compatible storage by configuration), under a random name that says nothing
about the patient or the file.
"""

import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, storages
from django.utils.translation import gettext_lazy as _

from common.filecrypto import decrypt_bytes, encrypt_bytes, sealed_key_id
from records.errors import AttachmentRefused, ErrorCode
from records.models import Attachment

# (content type, first bytes, extensions the name may have)
SIGNATURES = (
    ("application/pdf", b"%PDF-", (".pdf",)),
    ("image/png", b"\x89PNG\r\n\x1a\n", (".png",)),
    ("image/jpeg", b"\xff\xd8\xff", (".jpg", ".jpeg")),
)


@dataclass(frozen=True)
class CheckedFile:
    name: str
    content: bytes
    content_type: str


def attachment_storage() -> Storage:
    return storages[settings.RECORD_ATTACHMENT_STORAGE]


def _refuse(code: str, message, position: int) -> AttachmentRefused:
    return AttachmentRefused(
        code, message, fields={"files": {str(position): [str(message)]}}
    )


def attachment_check(*, name: str, content: bytes, position: int = 0) -> CheckedFile:
    """The file with its real type; raises AttachmentRefused (400) otherwise."""
    limit = settings.RECORD_ATTACHMENT_MAX_BYTES
    if len(content) > limit:
        raise _refuse(
            ErrorCode.ATTACHMENT_TOO_LARGE,
            _("The file is larger than %(limit)s bytes.") % {"limit": limit},
            position,
        )
    lowered = name.lower()
    for content_type, magic, extensions in SIGNATURES:
        if content.startswith(magic):
            if not lowered.endswith(extensions):
                raise _refuse(
                    ErrorCode.ATTACHMENT_TYPE_MISMATCH,
                    _("The file's name does not match its content."),
                    position,
                )
            return CheckedFile(name=name, content=content, content_type=content_type)
    raise _refuse(
        ErrorCode.ATTACHMENT_TYPE_NOT_ALLOWED,
        _("Only PDF, JPEG and PNG files are accepted."),
        position,
    )


@dataclass(frozen=True)
class StoredFile:
    name: str  # the storage name, also the ciphertext's associated data
    key_id: str  # the key it is sealed with


def attachment_store(content: bytes) -> StoredFile:
    """Write the content encrypted under the current key, under a new random name."""
    name = f"records/{uuid.uuid4().hex}.bin"
    blob = encrypt_bytes(content, context=name)
    return StoredFile(
        name=attachment_storage().save(name, ContentFile(blob)),
        key_id=sealed_key_id(blob),
    )


def attachment_discard(storage_name: str) -> None:
    attachment_storage().delete(storage_name)


def attachment_content(attachment: Attachment) -> bytes:
    """The decrypted content of a stored attachment."""
    with attachment_storage().open(attachment.storage_name, "rb") as stored:
        blob = stored.read()
    return decrypt_bytes(blob, context=attachment.storage_name)
