"""Patient login: WeChat (wx.login code) and SMS codes, and finding or creating the patient.

Staff never log in here: they sign in with a password at the management site.
"""

import hmac
import logging
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import sms, wechat
from accounts.errors import ErrorCode
from accounts.models import SmsCode, User
from accounts.selectors import SESSION_KEY_CONTEXT, user_get_by_phone
from accounts.sensitive import phone_lookup_hash
from accounts.validators import normalize_phone
from common import crypto
from common.errors import DomainError, NotAllowed, Throttled
from common.locks import named_locks
from common.services import Actor, operation_log_write

logger = logging.getLogger(__name__)


class AccountDisabled(NotAllowed):
    def __init__(self) -> None:
        super().__init__(
            ErrorCode.ACCOUNT_DISABLED, _("This account has been disabled.")
        )


class NotAPatientAccount(NotAllowed):
    def __init__(self) -> None:
        super().__init__(
            ErrorCode.NOT_PATIENT_ACCOUNT,
            _("This login is for patients; staff sign in to the management site."),
        )


# -- finding or creating the patient ---------------------------------------------------


def _username_for(prefix: str, value: str) -> str:
    # A keyed hash: the username reveals neither the openid nor the phone number.
    return f"{prefix}_{crypto.lookup_hash(value, context='username')[:24]}"


def user_check_can_log_in(user: User) -> None:
    """Refuse a disabled account, and any account that is not a plain patient's."""
    if not user.is_active:
        raise AccountDisabled()
    # Staff sign in with a password at the admin; a phone or WeChat login must not
    # hand them API tokens carrying staff powers.
    if user.role != User.Role.PATIENT or user.is_staff or user.is_superuser:
        raise NotAPatientAccount()


def _patient_create(*, actor: Actor, action: str, user: User) -> User | None:
    """Insert a new patient; None when a concurrent login inserted the same key first."""
    user.role = User.Role.PATIENT
    user.set_unusable_password()
    # Uniqueness (openid, phone) is left to the database: a concurrent first login of
    # the same person then fails the insert below instead of a pre-check that can race.
    user.full_clean(validate_unique=False)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        return None
    operation_log_write(
        actor=Actor(user=user, ip=actor.ip), action=action, obj=user, summary=action
    )
    return user


@transaction.atomic
def user_get_or_create_for_wechat(
    *, actor: Actor, session: wechat.WeChatSession
) -> tuple[User, bool]:
    """Find the patient by openid or create them; store the session key encrypted.

    Returns (user, created). Writes one operation-log row when the user is created.
    """
    session_key = crypto.encrypt(session.session_key, context=SESSION_KEY_CONTEXT)
    unionid = session.unionid
    if (
        unionid
        and User.objects.filter(wechat_unionid=unionid)
        .exclude(wechat_openid=session.openid)
        .exists()
    ):
        # Another account already holds this unionid; keep it with that account.
        logger.warning("WeChat unionid already linked to another account")
        unionid = None

    user = User.objects.select_for_update().filter(wechat_openid=session.openid).first()
    if user is None:
        new_user = User(
            username=_username_for("wx", session.openid),
            wechat_openid=session.openid,
            wechat_unionid=unionid,
            wechat_session_key=session_key,
        )
        created = _patient_create(
            actor=actor, action="user_create_by_wechat_login", user=new_user
        )
        if created is not None:
            return created, True
        user = User.objects.select_for_update().get(wechat_openid=session.openid)

    user_check_can_log_in(user)
    user.wechat_session_key = session_key
    update_fields = ["wechat_session_key"]
    if unionid and not user.wechat_unionid:
        user.wechat_unionid = unionid
        update_fields.append("wechat_unionid")
    user.save(update_fields=update_fields)
    return user, False


def user_login_with_wechat(*, actor: Actor, code: str) -> tuple[User, bool]:
    """Log a patient in with a wx.login() code. Returns (user, created).

    Calls WeChat first, outside any transaction, so no database lock is held while
    waiting on the network. Raises the accounts.wechat errors.
    """
    session = wechat.code_to_session(code)
    return user_get_or_create_for_wechat(actor=actor, session=session)


# -- SMS login ---------------------------------------------------------------------------


def _sms_code_hash(phone: str, code: str) -> str:
    return crypto.lookup_hash(f"{phone}:{code}", context="sms_code")


def phone_field(phone: str, field: str = "phone") -> str:
    """The normalised phone, or a ValidationError on `field`."""
    try:
        return normalize_phone(phone)
    except ValidationError as exc:
        raise ValidationError({field: exc.messages}) from None


@transaction.atomic
def _sms_code_create(*, actor: Actor, phone: str, code: str) -> SmsCode:
    now = timezone.now()
    phone_hash = phone_lookup_hash(phone)
    last = (
        SmsCode.objects.filter(phone_hash=phone_hash)
        .order_by("-created_at", "-id")
        .first()
    )
    interval = timedelta(seconds=settings.SMS_RESEND_INTERVAL_SECONDS)
    if last is not None and now - last.created_at < interval:
        raise Throttled(
            ErrorCode.SMS_TOO_FREQUENT,
            _("A code was sent moments ago, please wait a minute before asking again."),
        )
    day_start = timezone.localtime(now).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    sent_today = SmsCode.objects.filter(created_at__gte=day_start)
    if (
        sent_today.filter(phone_hash=phone_hash).count()
        >= settings.SMS_DAILY_LIMIT_PER_PHONE
    ):
        raise Throttled(
            ErrorCode.SMS_DAILY_LIMIT,
            _("Too many codes were sent to this number today, please try tomorrow."),
        )
    if (
        actor.ip
        and sent_today.filter(ip=actor.ip).count() >= settings.SMS_DAILY_LIMIT_PER_IP
    ):
        raise Throttled(
            ErrorCode.SMS_DAILY_LIMIT,
            _("Too many codes were requested from this network today."),
        )
    sms_code = SmsCode(
        phone=phone,
        code_hash=_sms_code_hash(phone, code),
        ip=actor.ip,
        created_at=now,
        expires_at=now + timedelta(seconds=settings.SMS_CODE_TTL_SECONDS),
    )
    sms_code.full_clean()
    sms_code.save()
    return sms_code


def sms_code_send(*, actor: Actor, phone: str) -> SmsCode:
    """Create a 6-digit login code for `phone` and text it.

    Enforces the resend interval and the daily caps per phone and per IP (Throttled,
    429). The code is stored only as a keyed hash. If the SMS provider fails, the code is
    removed again (so it counts against no limit) and SmsUnavailable (503) is raised.
    """
    phone = phone_field(phone)
    # cache.add is atomic in every cache backend, so of two concurrent requests for one
    # phone only one passes; the database check in _sms_code_create covers a cold cache.
    guard = f"accounts:sms-send:{crypto.lookup_hash(phone, context='sms_guard')}"
    interval = settings.SMS_RESEND_INTERVAL_SECONDS
    now = timezone.now().timestamp()
    if not cache.add(guard, now, timeout=interval):
        # The guard's timeout runs on the cache server's clock; ours decides, so a guard
        # the cache has not dropped yet but that is older than the interval is taken over.
        taken = cache.get(guard)
        if taken is not None and now - taken < interval:
            raise Throttled(
                ErrorCode.SMS_TOO_FREQUENT,
                _(
                    "A code was sent moments ago, please wait a minute before asking again."
                ),
            )
        cache.set(guard, now, timeout=interval)
    code = f"{secrets.randbelow(1_000_000):06d}"
    # Concurrent sends to one phone, and from one IP, take turns around the transaction
    # that counts and writes, so each counts what the one before committed: the interval
    # and the daily caps hold on the database alone when the cache's guard is missing
    # (Redis down), also for the first code to a phone, which has no row to lock.
    locks = [f"sms:phone:{phone_lookup_hash(phone)}"]
    if actor.ip:
        locks.append(f"sms:ip:{actor.ip}")
    try:
        with named_locks(*locks):
            sms_code = _sms_code_create(actor=actor, phone=phone, code=code)
    except DomainError:
        cache.delete(guard)
        raise
    try:
        # Outside the transaction: no database lock is held while the provider answers.
        sms.send_login_code(phone=phone, code=code)
    except DomainError:
        SmsCode.objects.filter(pk=sms_code.pk).delete()
        cache.delete(guard)
        raise
    return sms_code


_SMS_OK = "ok"
_SMS_INVALID = "invalid"
_SMS_EXPIRED = "expired"
_SMS_EXHAUSTED = "exhausted"


@transaction.atomic
def _sms_code_consume(*, phone: str, code: str) -> str:
    """Check `code` against the latest code sent to `phone` and use it up if it matches.

    Returns an outcome instead of raising, so a wrong try is committed, not rolled back.
    """
    now = timezone.now()
    sms_code = (
        SmsCode.objects.select_for_update()
        .filter(phone_hash=phone_lookup_hash(phone))
        .order_by("-created_at", "-id")
        .first()
    )
    if sms_code is None or sms_code.used_at is not None:
        return _SMS_INVALID
    if sms_code.wrong_tries >= settings.SMS_MAX_WRONG_TRIES:
        return _SMS_EXHAUSTED
    if sms_code.expires_at <= now:
        return _SMS_EXPIRED
    alive = SmsCode.objects.filter(
        pk=sms_code.pk,
        used_at__isnull=True,
        wrong_tries__lt=settings.SMS_MAX_WRONG_TRIES,
    )
    if not hmac.compare_digest(sms_code.code_hash, _sms_code_hash(phone, code)):
        alive.update(wrong_tries=F("wrong_tries") + 1)
        return _SMS_INVALID
    # Conditional UPDATE: of two requests with the same code only one can use it.
    return _SMS_OK if alive.update(used_at=now) == 1 else _SMS_INVALID


@transaction.atomic
def user_get_or_create_for_phone(*, actor: Actor, phone: str) -> tuple[User, bool]:
    """Find the patient by phone or create them. Returns (user, created)."""
    user = user_get_by_phone(phone=phone, for_update=True)
    if user is None:
        new_user = User(username=_username_for("p", phone), phone=phone)
        created = _patient_create(
            actor=actor, action="user_create_by_sms_login", user=new_user
        )
        if created is not None:
            return created, True
        user = user_get_by_phone(phone=phone, for_update=True)
        assert user is not None  # the insert failed on the phone's unique hash
    user_check_can_log_in(user)
    return user, False


def sms_code_check(*, phone: str, code: str) -> None:
    """Use up the code texted to `phone` (normalised), or raise why it cannot be used.

    A code works once, for SMS_CODE_TTL_SECONDS, and dies after SMS_MAX_WRONG_TRIES
    wrong guesses. Only the latest code sent to a phone counts. Used by the SMS login and
    by the password reset (accounts.services.passwords).
    """
    if not (
        isinstance(code, str) and len(code) == 6 and code.isascii() and code.isdigit()
    ):
        raise ValidationError({"code": [_("Enter the 6-digit code.")]})
    outcome = _sms_code_consume(phone=phone, code=code)
    if outcome == _SMS_EXPIRED:
        raise DomainError(
            ErrorCode.SMS_CODE_EXPIRED,
            _("The code has expired, please request a new one."),
        )
    if outcome == _SMS_EXHAUSTED:
        raise DomainError(
            ErrorCode.SMS_CODE_EXHAUSTED,
            _("Too many wrong codes, please request a new one."),
        )
    if outcome != _SMS_OK:
        raise DomainError(ErrorCode.SMS_CODE_INVALID, _("The code is not correct."))


def user_login_with_sms(*, actor: Actor, phone: str, code: str) -> tuple[User, bool]:
    """Log a patient in with the code texted to `phone` (sms_code_check). Returns
    (user, created)."""
    phone = phone_field(phone)
    sms_code_check(phone=phone, code=code)
    return user_get_or_create_for_phone(actor=actor, phone=phone)
