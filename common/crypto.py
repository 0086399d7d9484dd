"""AES-GCM encryption for sensitive fields, lookup hashes and masking.

Keys (config/settings.py):
- FIELD_ENCRYPTION_KEY encrypts every new value; FIELD_ENCRYPTION_OLD_KEYS are still
  accepted for decryption, so a key can be rotated (`manage.py rotate_encryption_key`
  re-encrypts every registered column under the current key).
- LOOKUP_HASH_KEY keys the HMAC lookup hashes (phones, ID numbers, names) that let the
  database find and de-duplicate values without holding plaintext. It is separate from the
  encryption keys and never rotates with them: a rotation leaves every hash as it is.

Ciphertext format: "v2:" + key id + ":" + base64(12-byte nonce + ciphertext + 16-byte
tag), where the key id is the first 8 hex digits of the key's SHA-256. The key id says
which key to use and lets a rotation skip values already under the current key. Values
written before key ids ("v1:" + base64) are tried against every configured key.

Every column that holds ciphertext is registered with `register_encrypted_column`, so the
rotation command finds it (apps register theirs in AppConfig.ready, by model label).
"""

import base64
import binascii
import hashlib
import hmac
import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

PREFIX = "v2:"
LEGACY_PREFIX = "v1:"


class DecryptionError(Exception):
    pass


def key_id(key: bytes) -> str:
    return hashlib.sha256(key).hexdigest()[:8]


def current_key() -> bytes:
    return settings.FIELD_ENCRYPTION_KEY


def old_keys() -> list[bytes]:
    return list(getattr(settings, "FIELD_ENCRYPTION_OLD_KEYS", []))


def current_prefix() -> str:
    """What every value encrypted under the current key starts with."""
    return f"{PREFIX}{key_id(current_key())}:"


def _keys_by_id() -> dict[str, bytes]:
    keys = {key_id(key): key for key in old_keys()}
    keys[key_id(current_key())] = current_key()
    return keys


def encrypt(plaintext: str, *, context: str = "") -> str:
    """Encrypt `plaintext`; `context` (e.g. the field name) is bound as associated data."""
    nonce = os.urandom(12)
    sealed = AESGCM(current_key()).encrypt(
        nonce, plaintext.encode(), context.encode() or None
    )
    return current_prefix() + base64.b64encode(nonce + sealed).decode()


def _open(key: bytes, raw: bytes, context: str) -> str | None:
    try:
        plain = AESGCM(key).decrypt(raw[:12], raw[12:], context.encode() or None)
    except InvalidTag:
        return None
    return plain.decode()


def decrypt(token: str, *, context: str = "") -> str:
    """The plaintext of `token`, under the current or any old key.

    Raises DecryptionError for an unknown format, a key that is not configured or an
    altered value.
    """
    if token.startswith(PREFIX):
        kid, _sep, body = token[len(PREFIX) :].partition(":")
        candidates = [_keys_by_id()[kid]] if kid in _keys_by_id() else []
    elif token.startswith(LEGACY_PREFIX):
        body = token[len(LEGACY_PREFIX) :]
        candidates = [current_key(), *old_keys()]
    else:
        raise DecryptionError("unknown ciphertext version")
    if not candidates:
        raise DecryptionError("the value's key is not configured")
    try:
        raw = base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        raise DecryptionError("the value is not valid base64") from None
    for key in candidates:
        plain = _open(key, raw, context)
        if plain is not None:
            return plain
    raise DecryptionError("ciphertext does not match the key or was altered")


def is_current(token: str) -> bool:
    """Whether `token` is already encrypted under the current key (empty counts as yes)."""
    return not token or token.startswith(current_prefix())


def lookup_hash(value: str, *, context: str) -> str:
    """A keyed hash (HMAC-SHA256 under LOOKUP_HASH_KEY) for exact lookups and uniqueness."""
    return hmac.new(
        settings.LOOKUP_HASH_KEY, f"{context}:{value}".encode(), hashlib.sha256
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


# -- the registry of encrypted columns -----------------------------------------------


@dataclass(frozen=True)
class EncryptedColumn:
    model: str  # "app_label.ModelName"
    field: str  # the text column holding ciphertext ("" when empty)
    context: str  # the associated data it was encrypted with


_COLUMNS: dict[tuple[str, str], EncryptedColumn] = {}


def register_encrypted_column(*, model: str, field: str, context: str) -> None:
    """Declare a column that holds ciphertext, so a key rotation re-encrypts it."""
    _COLUMNS[(model, field)] = EncryptedColumn(
        model=model, field=field, context=context
    )


def encrypted_columns() -> list[EncryptedColumn]:
    return sorted(_COLUMNS.values(), key=lambda c: (c.model, c.field))
