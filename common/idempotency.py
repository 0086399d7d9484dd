"""Idempotency-Key support for POSTs that create bookings or payments.

The same key with the same body replays the first answer; the same key with a different body
answers 422. The key row is inserted in the same transaction as the work it guards, so two
concurrent requests with one key serialise on the unique index: the second waits for the
first to commit, then replays its answer. If the first fails, nothing is stored and a retry
does the work again.
"""

import hashlib
import json
from collections.abc import Callable

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from rest_framework.request import Request
from rest_framework.response import Response

from common.errors import DomainError, ErrorCode, Unprocessable
from common.models import IdempotencyKey

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 128


def _request_hash(request: Request) -> str:
    body = json.dumps(request.data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(
        f"{request.method} {request.path}\n{body}".encode()
    ).hexdigest()


def _replay(record: IdempotencyKey, request_hash: str) -> Response:
    if record.request_hash != request_hash:
        raise Unprocessable(
            ErrorCode.IDEMPOTENCY_KEY_REUSED,
            _("This Idempotency-Key was already used with a different request."),
        )
    response = Response(record.response_body, status=record.response_status)
    response["Idempotent-Replayed"] = "true"
    return response


def idempotent(
    request: Request, *, scope: str, handler: Callable[[], Response]
) -> Response:
    """Run `handler` once per (user, scope, Idempotency-Key); without the header, just run it."""
    key = request.headers.get(HEADER)
    if key is None:
        return handler()
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH or not key.isascii():
        raise DomainError(
            ErrorCode.INVALID_IDEMPOTENCY_KEY,
            _("Idempotency-Key must be 1 to 128 ASCII characters."),
        )
    request_hash = _request_hash(request)
    lookup = {"user_id": request.user.pk, "scope": scope, "key": key}

    with transaction.atomic():
        existing = IdempotencyKey.objects.filter(**lookup).first()
        if existing is not None:
            return _replay(existing, request_hash)
        try:
            with transaction.atomic():
                record = IdempotencyKey.objects.create(
                    **lookup,
                    request_hash=request_hash,
                    response_status=0,
                    response_body={},
                )
        except IntegrityError:
            # A concurrent request with this key committed first (we waited on its index lock).
            return _replay(IdempotencyKey.objects.get(**lookup), request_hash)
        response = handler()
        record.response_status = response.status_code
        record.response_body = response.data
        record.save(update_fields=["response_status", "response_body"])
        return response
