"""Text kept only as AES-GCM ciphertext (common.crypto), read through model attributes.

Used by records (clinical text) and consult (a consult's problem, its messages).
`EncryptedText("chief_complaint")` on a model with a `chief_complaint_encrypted` column
gives it a `chief_complaint` attribute that decrypts on read and encrypts on write, as
accounts.sensitive does for a profile's name. `EncryptedJson` does the same for a list or
a dict (diagnoses, prescriptions, results). Each column's context (bound into the
ciphertext as associated data) is "<app>.<Model>.<column>", so a value copied into
another column does not decrypt there; `register` lists the column for key rotation.
"""

import json
from typing import Any

from common import crypto


class EncryptedText:
    def __init__(self, name: str) -> None:
        self.name = name
        self.column = f"{name}_encrypted"

    def __set_name__(self, owner: type, name: str) -> None:
        app = owner.__module__.split(".")[0]
        self.context = f"{app}.{owner.__name__}.{self.column}"

    def __get__(self, instance: Any, owner: type | None = None) -> Any:
        if instance is None:
            return self
        token = getattr(instance, self.column)
        if not token:
            return self.empty()
        return self.load(crypto.decrypt(token, context=self.context))

    def __set__(self, instance: Any, value: Any) -> None:
        if value in (None, "", [], {}):
            setattr(instance, self.column, "")
            return
        setattr(
            instance,
            self.column,
            crypto.encrypt(self.dump(value), context=self.context),
        )

    def empty(self) -> Any:
        return ""

    def load(self, text: str) -> Any:
        return text

    def dump(self, value: Any) -> str:
        return str(value)


class EncryptedJson(EncryptedText):
    def empty(self) -> Any:
        return []

    def load(self, text: str) -> Any:
        return json.loads(text)

    def dump(self, value: Any) -> str:
        return json.dumps(value, ensure_ascii=False, sort_keys=True)


def register(model: type) -> None:
    """Declare every encrypted attribute of `model` for the key rotation command."""
    for attribute in vars(model).values():
        if isinstance(attribute, EncryptedText):
            crypto.register_encrypted_column(
                model=model._meta.label,
                field=attribute.column,
                context=attribute.context,
            )
