"""Clinical text kept only as AES-GCM ciphertext: common.encrypted's attributes, whose
context for records' columns is "records.<Model>.<column>"."""

from common.encrypted import EncryptedJson, EncryptedText, register

__all__ = ["EncryptedJson", "EncryptedText", "register"]
