"""Incoming WeChat Pay notifications (支付/退款结果通知): verified strictly, then decrypted.

Strict: the timestamp window (replays), WeChat's probe signatures (签名探测), unknown
platform key serials; only then is the resource decrypted with the APIv3 key.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Mapping
from typing import Any

from wechatpayv3.core import Core
from wechatpayv3.utils import aes_decrypt, rsa_verify

from billing.errors import NotificationRejected
from billing.wechatpay.resources import Notification

# WeChat sends notifications with deliberately wrong signatures starting with this, to check
# that merchants really verify them ("签名探测"). They must be rejected.
PROBE_SIGNATURE_PREFIX = "WECHATPAY/SIGNTEST/"
# A notification whose timestamp is further than this from our clock is refused (replay).
NOTIFY_MAX_SKEW_SECONDS = 300
SIGNATURE_TYPE = "WECHATPAY2-SHA256-RSA2048"

# What each header may look like. Anything else is refused before it is converted or
# used: int() takes "+1_700_000_000", full-width digits and hundreds of digits (whose
# difference with a float overflows); a serial of any length becomes a huge integer.
_TIMESTAMP = re.compile(r"[0-9]{1,12}")  # Unix seconds
_NONCE = re.compile(r"[0-9A-Za-z]{1,64}")  # 32 characters in practice
_SERIAL = re.compile(r"[0-9A-Za-z_]{1,64}")  # a certificate serial or PUB_KEY_ID_...
_SIGNATURE = re.compile(r"[0-9A-Za-z+/=]{1,1024}")  # base64 of an RSA-2048 signature


def parse_notification(
    *,
    headers: Mapping[str, str],
    body: bytes,
    apiv3_key: str,
    platform_key: Callable[[str], Any],
    now: float | None = None,
) -> Notification:
    """Verify and decrypt one notification (支付/退款结果通知). Raises NotificationRejected.

    `headers` must look names up case-insensitively (Django's request.headers does);
    `platform_key(serial)` gives the platform public key a serial names, or None.
    """
    signature = headers.get("Wechatpay-Signature", "")
    timestamp = headers.get("Wechatpay-Timestamp", "")
    nonce = headers.get("Wechatpay-Nonce", "")
    serial = headers.get("Wechatpay-Serial", "")
    signature_type = headers.get("Wechatpay-Signature-Type", SIGNATURE_TYPE)
    if not (signature and timestamp and nonce and serial):
        raise NotificationRejected("missing signature headers", status=401)
    if signature.startswith(PROBE_SIGNATURE_PREFIX):
        raise NotificationRejected("probe signature", status=401)
    if signature_type != SIGNATURE_TYPE:
        raise NotificationRejected("unsupported signature type", status=401)
    if not _TIMESTAMP.fullmatch(timestamp):
        raise NotificationRejected("bad timestamp", status=401)
    if not _NONCE.fullmatch(nonce):
        raise NotificationRejected("bad nonce", status=401)
    if not _SERIAL.fullmatch(serial):
        raise NotificationRejected("unknown Wechatpay-Serial", status=401)
    if not _SIGNATURE.fullmatch(signature):
        raise NotificationRejected("signature does not verify", status=401)
    sent_at = int(timestamp)
    now = time.time() if now is None else now
    if abs(now - sent_at) > NOTIFY_MAX_SKEW_SECONDS:
        raise NotificationRejected("timestamp outside 5 minutes", status=401)
    public_key = platform_key(serial)
    if public_key is None:
        raise NotificationRejected("unknown Wechatpay-Serial", status=401)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise NotificationRejected("body is not UTF-8") from None
    if not rsa_verify(timestamp, nonce, text, signature, public_key):
        raise NotificationRejected("signature does not verify", status=401)

    try:
        envelope = json.loads(text)
        resource = envelope["resource"]
        algorithm = resource["algorithm"]
        plaintext = None
        if algorithm == "AEAD_AES_256_GCM":
            plaintext = aes_decrypt(
                nonce=resource["nonce"],
                ciphertext=resource["ciphertext"],
                associated_data=resource.get("associated_data") or "",
                apiv3_key=apiv3_key,
            )
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
        # AttributeError: a nonce or associated_data that is not a string.
        raise NotificationRejected("malformed notification") from None
    if plaintext is None:
        raise NotificationRejected("resource does not decrypt")
    try:
        decrypted = json.loads(plaintext)
    except (ValueError, RecursionError):
        raise NotificationRejected("resource is not JSON") from None
    if not isinstance(decrypted, dict):
        raise NotificationRejected("resource is not an object")
    event_type = envelope.get("event_type")
    if not isinstance(event_type, str):
        raise NotificationRejected("malformed notification")
    return Notification(
        id=str(envelope.get("id", "")),
        event_type=event_type,
        resource=decrypted,
    )


def platform_key_for(core: Core, serial: str, *, public_key_id: str = "") -> Any | None:
    """The platform public key named by Wechatpay-Serial, or None when unknown.

    Unknown serials are refused rather than looked up at WeChat: a notification is
    unauthenticated input and must not make us call out. (The SDK refreshes its
    certificate list whenever an API answer carries a new serial.)
    """
    if public_key_id and serial == public_key_id:
        return core._public_key
    try:
        number = int(serial, 16)
    except ValueError:
        return None
    for certificate in core._certificates:
        if certificate.serial_number == number:
            return certificate.public_key()
    return None
