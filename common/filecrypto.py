"""File content encrypted with the project's AES-GCM keys before it reaches storage.

Used by records (report attachments) and consult (consult images). Format: b"RF1:" + the
key id (8 ASCII hex digits, common.crypto.key_id) + b":" + 12-byte nonce + ciphertext +
16-byte tag. The context (the file's storage name) is bound in as
associated data, so a file copied over another file's name does not decrypt.
Old keys (FIELD_ENCRYPTION_OLD_KEYS) still decrypt, like the text fields.
"""

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from common import crypto

MAGIC = b"RF1:"
_HEADER = len(MAGIC) + 8 + 1


def encrypt_bytes(data: bytes, *, context: str) -> bytes:
    key = crypto.current_key()
    nonce = os.urandom(12)
    sealed = AESGCM(key).encrypt(nonce, data, context.encode())
    return MAGIC + crypto.key_id(key).encode() + b":" + nonce + sealed


def sealed_key_id(blob: bytes) -> str:
    """The id of the key `blob` is sealed with ("" when it is not an encrypted file)."""
    if not blob.startswith(MAGIC) or len(blob) < _HEADER:
        return ""
    return blob[len(MAGIC) : len(MAGIC) + 8].decode("ascii", "replace")


def decrypt_bytes(blob: bytes, *, context: str) -> bytes:
    """The plaintext; raises common.crypto.DecryptionError for anything else."""
    if not blob.startswith(MAGIC) or len(blob) < _HEADER + 12 + 16:
        raise crypto.DecryptionError("not an encrypted file")
    kid = sealed_key_id(blob)
    keys = {crypto.key_id(key): key for key in crypto.old_keys()}
    keys[crypto.key_id(crypto.current_key())] = crypto.current_key()
    if kid not in keys:
        raise crypto.DecryptionError("the file's key is not configured")
    body = blob[_HEADER:]
    try:
        return AESGCM(keys[kid]).decrypt(body[:12], body[12:], context.encode())
    except InvalidTag:
        raise crypto.DecryptionError("file altered or wrong key") from None
