"""Attachment encryption: bound to its storage name, readable under an old key."""

import base64

import pytest

from common import crypto
from common.filecrypto import decrypt_bytes, encrypt_bytes


def test_a_file_decrypts_only_under_its_own_name():
    blob = encrypt_bytes(b"%PDF-1.4 content", context="records/a.bin")

    assert decrypt_bytes(blob, context="records/a.bin") == b"%PDF-1.4 content"
    with pytest.raises(crypto.DecryptionError):
        decrypt_bytes(blob, context="records/b.bin")


def test_an_altered_or_foreign_file_is_refused():
    blob = bytearray(encrypt_bytes(b"data", context="n"))
    blob[-1] ^= 1

    with pytest.raises(crypto.DecryptionError):
        decrypt_bytes(bytes(blob), context="n")
    with pytest.raises(crypto.DecryptionError):
        decrypt_bytes(b"%PDF-1.4 plain file", context="n")


def test_a_file_written_under_an_old_key_still_opens(settings):
    old_key = settings.FIELD_ENCRYPTION_KEY
    blob = encrypt_bytes(b"scan", context="n")
    settings.FIELD_ENCRYPTION_KEY = base64.b64decode(
        base64.b64encode(b"another-32-byte-key-for-the-test")
    )
    settings.FIELD_ENCRYPTION_OLD_KEYS = [old_key]

    assert decrypt_bytes(blob, context="n") == b"scan"
    settings.FIELD_ENCRYPTION_OLD_KEYS = []
    with pytest.raises(crypto.DecryptionError):
        decrypt_bytes(blob, context="n")
