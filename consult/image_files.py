"""Where consult images' files live and how a client reaches one.

Files: the re-encoded image (consult.images) is encrypted (common.filecrypto, its storage
name bound in) before it reaches the storage named by settings.CONSULT_IMAGE_STORAGE (a
key of STORAGES: the local media folder by default), under a random name that says
nothing about the consult. MEDIA_URL serves nothing: the files are medical data.

Links: `image_url` is the path of `GET /api/v1/consult/images/<token>/`, where the token is
the image id signed with django.core.signing (salted for this use) and a timestamp; it is
honoured for LINK_MAX_AGE. It needs no header, so it works as an <image src>: whoever holds
the link sees the image until it expires, as with any signed download link. The API hands
links only to the consult's two parties.
"""

import datetime
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, storages
from django.db import transaction
from django.urls import reverse

from common.filecrypto import decrypt_bytes, encrypt_bytes, sealed_key_id
from consult.models import ConsultImage

LINK_MAX_AGE = datetime.timedelta(hours=1)
_SALT = "consult.image-link"


def image_storage() -> Storage:
    return storages[settings.CONSULT_IMAGE_STORAGE]


@dataclass(frozen=True)
class StoredFile:
    name: str  # the storage name, also the ciphertext's associated data
    key_id: str  # the key it is sealed with


def image_file_store(content: bytes) -> StoredFile:
    """Write the content encrypted under the current key, under a new random name."""
    name = f"consult/{uuid.uuid4().hex}.bin"
    blob = encrypt_bytes(content, context=name)
    return StoredFile(
        name=image_storage().save(name, ContentFile(blob)), key_id=sealed_key_id(blob)
    )


def image_file_delete(storage_name: str) -> None:
    image_storage().delete(storage_name)


def image_file_delete_on_commit(storage_name: str) -> None:
    """Delete the file once the transaction that dropped its row has committed."""
    transaction.on_commit(lambda: image_file_delete(storage_name))


def image_content(image: ConsultImage) -> bytes:
    """The decrypted image."""
    with image_storage().open(image.storage_name, "rb") as stored:
        blob = stored.read()
    return decrypt_bytes(blob, context=image.storage_name)


def image_token(image_id: int) -> str:
    return signing.dumps(image_id, salt=_SALT)


def image_id_from_token(token: str) -> int | None:
    """The image id of a link's token; None when it is altered, foreign or expired."""
    try:
        value = signing.loads(token, salt=_SALT, max_age=LINK_MAX_AGE)
    except signing.BadSignature:  # SignatureExpired is one
        return None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def image_url(image_id: int) -> str:
    """The signed, expiring path that serves the image."""
    return reverse("api:consult:image", kwargs={"token": image_token(image_id)})
