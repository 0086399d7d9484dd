"""Re-encrypting stored attachment files under the current key (manage.py
rotate_encryption_key runs this after the encrypted columns; registered in records' ready()).

A file cannot be rewritten in place on every storage (Django's storages never overwrite;
S3 has no rename), and its storage name is the ciphertext's associated data. So each file
is re-encrypted under a new name, the row is switched to it with a compare-and-set UPDATE
(the row must still point at the old file), and only then is the old file deleted. If the
row changed or went meanwhile, the new file is deleted instead. An interrupted run leaves
at worst an unreferenced file, never a row pointing at a missing or unreadable one.
"""

from django.db.models import Q

from common import crypto
from common.filecrypto import decrypt_bytes, sealed_key_id
from common.key_rotation import BatchResult
from records.models import Attachment
from records.services.attachments import (
    attachment_discard,
    attachment_storage,
    attachment_store,
)


def _pending():
    current = crypto.key_id(crypto.current_key())
    return Attachment.objects.filter(~Q(key_id=current))


def attachment_rotation_pending_count() -> int:
    """Attachments whose file is not known to be sealed with the current key."""
    return _pending().count()


def attachment_rotation_batch(after_pk: int, size: int) -> BatchResult:
    """Re-encrypt up to `size` attachment files with a primary key above `after_pk`.

    Raises crypto.DecryptionError naming the attachment for a file no configured key
    opens; files already done stay done.
    """
    current = crypto.key_id(crypto.current_key())
    rows = list(
        _pending()
        .filter(pk__gt=after_pk)
        .order_by("pk")
        .values_list("pk", "storage_name", "key_id")[:size]
    )
    rotated = 0
    for pk, name, key_id in rows:
        with attachment_storage().open(name, "rb") as stored:
            blob = stored.read()
        unchanged = Attachment.objects.filter(pk=pk, storage_name=name, key_id=key_id)
        if sealed_key_id(blob) == current:
            # Stored before the key_id column, already under the current key.
            unchanged.update(key_id=current)
            continue
        try:
            plain = decrypt_bytes(blob, context=name)
        except crypto.DecryptionError as exc:
            raise crypto.DecryptionError(f"attachment {pk} ({name}): {exc}") from None
        fresh = attachment_store(plain)
        if unchanged.update(storage_name=fresh.name, key_id=fresh.key_id) == 1:
            attachment_discard(name)
            rotated += 1
        else:
            attachment_discard(fresh.name)
    return BatchResult(rotated=rotated, last_pk=rows[-1][0] if rows else None)
