"""How a service's refusal reaches a page (the portal's, the workspace's): on the form,
in Chinese, never a 500.

A DomainError (a business rule said no) becomes the form's error and the page is shown
again with the error's status (409, 429...); a ValidationError from a service's
full_clean() goes to the fields it names. The service ran in its own transaction, so a
refusal left nothing half-written.
"""

from collections.abc import Callable
from typing import TypeVar

from django import forms
from django.core.exceptions import ValidationError

from common.errors import DomainError

T = TypeVar("T")


class Refused(Exception):
    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


def call_service(form: forms.Form, action: Callable[[], T]) -> T:
    """`action()`, or Refused(status) with the reason added to `form`."""
    try:
        return action()
    except DomainError as error:
        form.add_error(None, str(error.message))
        raise Refused(error.status_code) from None
    except ValidationError as error:
        if hasattr(error, "error_dict"):
            for field, messages in error.message_dict.items():
                form.add_error(field if field in form.fields else None, messages)
        else:
            form.add_error(None, error.messages)
        raise Refused(400) from None


def refusal_status(form: forms.Form, action: Callable[[], object]) -> int | None:
    """`action()`; None when it ran, else the refusal's status (its reason on `form`)."""
    try:
        call_service(form, action)
    except Refused as refused:
        return refused.status
    return None
