"""AES-GCM encryption for sensitive fields, lookup hashes and masking.

Ciphertext format: "v1:" + base64(12-byte nonce + ciphertext + 16-byte tag). The key
comes from settings.FIELD_ENCRYPTION_KEY. A lookup hash (HMAC-SHA256 under a key derived
from the same secret) lets the database enforce uniqueness without holding plaintext.
"""

import base64
import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

PREFIX = "v1:"


class DecryptionError(Exception):
    pass


def _key() -> bytes:
    return settings.FIELD_ENCRYPTION_KEY


def encrypt(plaintext: str, *, context: str = "") -> str:
    """Encrypt `plaintext`; `context` (e.g. the field name) is bound as associated data."""
    nonce = os.urandom(12)
    sealed = AESGCM(_key()).encrypt(nonce, plaintext.encode(), context.encode() or None)
    return PREFIX + base64.b64encode(nonce + sealed).decode()


def decrypt(token: str, *, context: str = "") -> str:
    if not token.startswith(PREFIX):
        raise DecryptionError("unknown ciphertext version")
    raw = base64.b64decode(token[len(PREFIX) :])
    try:
        plain = AESGCM(_key()).decrypt(raw[:12], raw[12:], context.encode() or None)
    except InvalidTag:
        raise DecryptionError(
            "ciphertext does not match the key or was altered"
        ) from None
    return plain.decode()


def lookup_hash(value: str, *, context: str) -> str:
    lookup_key = hmac.new(_key(), b"lookup-hash-key", hashlib.sha256).digest()
    return hmac.new(
        lookup_key, f"{context}:{value}".encode(), hashlib.sha256
    ).hexdigest()


def mask(value: str, *, keep_start: int = 3, keep_end: int = 4) -> str:
    """'110101199003071234' -> '110***********1234'. Short values are masked entirely."""
    if len(value) <= keep_start + keep_end:
        return "*" * len(value)
    return (
        value[:keep_start]
        + "*" * (len(value) - keep_start - keep_end)
        + value[-keep_end:]
    )
