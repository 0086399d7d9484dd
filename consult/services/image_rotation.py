"""Re-encrypting stored consult image files under the current key (manage.py
rotate_encryption_key runs this after the encrypted columns; registered in consult's ready()).

The same procedure as records' attachments (records.services.attachment_rotation): each
file is re-encrypted under a new name (its storage name is the ciphertext's associated
data, and storages never overwrite), the row is switched to it with a compare-and-set
UPDATE, and only then is the old file deleted; if the row changed or went meanwhile (a
recalled image), the new file is deleted instead.
"""

from django.db.models import Q

from common import crypto
from common.filecrypto import decrypt_bytes, sealed_key_id
from common.key_rotation import BatchResult
from consult.image_files import image_file_delete, image_file_store, image_storage
from consult.models import ConsultImage


def _pending():
    current = crypto.key_id(crypto.current_key())
    return ConsultImage.objects.filter(~Q(key_id=current))


def image_rotation_pending_count() -> int:
    return _pending().count()


def image_rotation_batch(after_pk: int, size: int) -> BatchResult:
    """Re-encrypt up to `size` image files with a primary key above `after_pk`.

    Raises crypto.DecryptionError naming the image for a file no configured key opens."""
    current = crypto.key_id(crypto.current_key())
    rows = list(
        _pending()
        .filter(pk__gt=after_pk)
        .order_by("pk")
        .values_list("pk", "storage_name", "key_id")[:size]
    )
    rotated = 0
    for pk, name, key_id in rows:
        unchanged = ConsultImage.objects.filter(pk=pk, storage_name=name, key_id=key_id)
        try:
            with image_storage().open(name, "rb") as stored:
                blob = stored.read()
        except FileNotFoundError:
            if not unchanged.exists():
                continue  # recalled meanwhile: its file went with it
            raise
        if sealed_key_id(blob) == current:
            unchanged.update(key_id=current)
            continue
        try:
            plain = decrypt_bytes(blob, context=name)
        except crypto.DecryptionError as exc:
            raise crypto.DecryptionError(
                f"consult image {pk} ({name}): {exc}"
            ) from None
        fresh = image_file_store(plain)
        if unchanged.update(storage_name=fresh.name, key_id=fresh.key_id) == 1:
            image_file_delete(name)
            rotated += 1
        else:
            image_file_delete(fresh.name)
    return BatchResult(rotated=rotated, last_pk=rows[-1][0] if rows else None)
