"""Writes of the accounts app: patient login (WeChat, SMS), JWT handling, patient profiles."""

import hmac
import logging
import secrets
from datetime import date, timedelta

from django.conf import settings
from django.contrib.auth.models import update_last_login
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.exceptions import TokenError

# A library serializer, not our interface layer: it holds simplejwt's rotation logic.
from rest_framework_simplejwt.serializers import TokenRefreshSerializer
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.token_blacklist.models import (
    BlacklistedToken,
    OutstandingToken,
)
from rest_framework_simplejwt.tokens import RefreshToken

from accounts import sms, wechat

# Membership writes live in their own module; other apps call them from here.
from accounts.members import (  # noqa: F401
    member_late_cancel_use,
    member_level_grant,
    member_level_save,
    points_apply,
)
from accounts.models import PatientProfile, SmsCode, User
from accounts.selectors import (
    ID_CARD_CONTEXT,
    ID_CARD_HASH_CONTEXT,
    INSURANCE_CARD_CONTEXT,
    PHONE_CONTEXT,
    PHONE_HASH_CONTEXT,
    SESSION_KEY_CONTEXT,
    profile_insurance_card_no,
    profile_phone,
)
from accounts.validators import (
    normalize_insurance_card,
    normalize_phone,
    parse_id_card,
)
from appointments.models import Appointment
from common import crypto
from common.errors import Conflict, DomainError, NotAllowed, NotFound, Throttled
from common.services import Actor, operation_log_write

logger = logging.getLogger(__name__)


class TokenNotValid(DomainError):
    status_code = 401

    def __init__(self) -> None:
        super().__init__("token_not_valid", _("The token is invalid or has expired."))


class AccountDisabled(NotAllowed):
    def __init__(self) -> None:
        super().__init__("account_disabled", _("This account has been disabled."))


class NotAPatientAccount(NotAllowed):
    def __init__(self) -> None:
        super().__init__(
            "not_patient_account",
            _("This login is for patients; staff sign in to the management site."),
        )


# -- users and tokens ----------------------------------------------------------------


def _username_for(prefix: str, value: str) -> str:
    # A keyed hash: the username reveals neither the openid nor the phone number.
    return f"{prefix}_{crypto.lookup_hash(value, context='username')[:24]}"


def _check_can_log_in(user: User) -> None:
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

    _check_can_log_in(user)
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


@transaction.atomic
def user_tokens_issue(*, user: User) -> dict[str, str]:
    """A new JWT pair for the user: {"access": ..., "refresh": ...}."""
    refresh = RefreshToken.for_user(user)  # also records it as outstanding
    update_last_login(None, user)
    return {"access": str(refresh.access_token), "refresh": str(refresh)}


@transaction.atomic
def token_refresh(*, refresh: str) -> dict[str, str]:
    """Rotate a refresh token: blacklist it and return a new pair.

    Raises TokenNotValid (401) for a bad, expired, blacklisted or already used token.
    """
    try:
        token = RefreshToken(refresh)
    except TokenError:
        raise TokenNotValid() from None
    # Lock the token's row so two concurrent refreshes with the same token run one after
    # the other: the second then sees the blacklist entry the first wrote.
    outstanding = (
        OutstandingToken.objects.select_for_update()
        .filter(jti=token[jwt_settings.JTI_CLAIM])
        .first()
    )
    if (
        outstanding is None
        or BlacklistedToken.objects.filter(token=outstanding).exists()
    ):
        raise TokenNotValid()
    user_id = token.payload.get(jwt_settings.USER_ID_CLAIM)
    if not User.objects.filter(pk=user_id).exists():
        raise TokenNotValid()
    try:
        return TokenRefreshSerializer().validate({"refresh": refresh})
    except (TokenError, AuthenticationFailed):
        raise TokenNotValid() from None


@transaction.atomic
def user_logout(*, actor: Actor, refresh: str) -> None:
    """Blacklist the user's refresh token. Access tokens already issued run out on their own."""
    try:
        token = RefreshToken(refresh)
    except TokenError:
        raise TokenNotValid() from None
    if actor.user is None or str(token.payload.get(jwt_settings.USER_ID_CLAIM)) != str(
        actor.user.pk
    ):
        raise TokenNotValid()
    token.blacklist()
    operation_log_write(actor=actor, action="user_logout", obj=actor.user)


# -- SMS login ---------------------------------------------------------------------------


def _sms_code_hash(phone: str, code: str) -> str:
    return crypto.lookup_hash(f"{phone}:{code}", context="sms_code")


def _phone_field(phone: str, field: str = "phone") -> str:
    try:
        return normalize_phone(phone)
    except ValidationError as exc:
        raise ValidationError({field: exc.messages}) from None


@transaction.atomic
def _sms_code_create(*, actor: Actor, phone: str, code: str) -> SmsCode:
    now = timezone.now()
    last = SmsCode.objects.filter(phone=phone).order_by("-created_at", "-id").first()
    interval = timedelta(seconds=settings.SMS_RESEND_INTERVAL_SECONDS)
    if last is not None and now - last.created_at < interval:
        raise Throttled(
            "sms_too_frequent",
            _("A code was sent moments ago, please wait a minute before asking again."),
        )
    day_start = timezone.localtime(now).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    sent_today = SmsCode.objects.filter(created_at__gte=day_start)
    if sent_today.filter(phone=phone).count() >= settings.SMS_DAILY_LIMIT_PER_PHONE:
        raise Throttled(
            "sms_daily_limit",
            _("Too many codes were sent to this number today, please try tomorrow."),
        )
    if (
        actor.ip
        and sent_today.filter(ip=actor.ip).count() >= settings.SMS_DAILY_LIMIT_PER_IP
    ):
        raise Throttled(
            "sms_daily_limit",
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
    phone = _phone_field(phone)
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
                "sms_too_frequent",
                _(
                    "A code was sent moments ago, please wait a minute before asking again."
                ),
            )
        cache.set(guard, now, timeout=interval)
    code = f"{secrets.randbelow(1_000_000):06d}"
    try:
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
        .filter(phone=phone)
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
    user = User.objects.select_for_update().filter(phone=phone).first()
    if user is None:
        new_user = User(username=_username_for("p", phone), phone=phone)
        created = _patient_create(
            actor=actor, action="user_create_by_sms_login", user=new_user
        )
        if created is not None:
            return created, True
        user = User.objects.select_for_update().get(phone=phone)
    _check_can_log_in(user)
    return user, False


def user_login_with_sms(*, actor: Actor, phone: str, code: str) -> tuple[User, bool]:
    """Log a patient in with the code texted to `phone`. Returns (user, created).

    A code works once, for SMS_CODE_TTL_SECONDS, and dies after SMS_MAX_WRONG_TRIES
    wrong guesses. Only the latest code sent to a phone counts.
    """
    phone = _phone_field(phone)
    if not (
        isinstance(code, str) and len(code) == 6 and code.isascii() and code.isdigit()
    ):
        raise ValidationError({"code": [_("Enter the 6-digit code.")]})
    outcome = _sms_code_consume(phone=phone, code=code)
    if outcome == _SMS_EXPIRED:
        raise DomainError(
            "sms_code_expired", _("The code has expired, please request a new one.")
        )
    if outcome == _SMS_EXHAUSTED:
        raise DomainError(
            "sms_code_exhausted",
            _("Too many wrong codes, please request a new one."),
        )
    if outcome != _SMS_OK:
        raise DomainError("sms_code_invalid", _("The code is not correct."))
    return user_get_or_create_for_phone(actor=actor, phone=phone)


# -- patient profiles --------------------------------------------------------------------


def _clean_name(name: str) -> str:
    value = name.strip() if isinstance(name, str) else ""
    if not value:
        raise ValidationError({"name": [_("Enter the patient's name.")]})
    return value


@transaction.atomic
def patient_profile_create(
    *,
    actor: Actor,
    user: User,
    name: str,
    relation: str,
    id_card_no: str,
    phone: str,
    gender: str | None = None,
    birth_date: date | None = None,
    insurance_card_no: str = "",
) -> PatientProfile:
    """Add a patient profile (就诊人) to `user`.

    Gender and birth date come from the ID-card number; when given they must match it.
    At most settings.MAX_PATIENT_PROFILES active profiles per user, one per ID number:
    the user's row is locked first, so concurrent creates count one after another.
    Raises ValidationError (bad input) or Conflict (profile_limit_reached,
    profile_duplicate_id_card).
    """
    errors: dict[str, list[str]] = {}
    id_card = None
    try:
        name = _clean_name(name)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        id_card = parse_id_card(id_card_no)
    except ValidationError as exc:
        errors["id_card_no"] = exc.messages
    try:
        phone = normalize_phone(phone)
    except ValidationError as exc:
        errors["phone"] = exc.messages
    try:
        insurance_card_no = normalize_insurance_card(insurance_card_no)
    except ValidationError as exc:
        errors["insurance_card_no"] = exc.messages
    if id_card is not None:
        if gender is not None and gender != id_card.gender:
            errors["gender"] = [_("Does not match the ID-card number.")]
        if birth_date is not None and birth_date != id_card.birth_date:
            errors["birth_date"] = [_("Does not match the ID-card number.")]
    if errors:
        raise ValidationError(errors)
    assert id_card is not None

    # Lock the owner so the count below cannot be raced by a concurrent create.
    User.objects.select_for_update().filter(pk=user.pk).values_list("pk").first()
    active = PatientProfile.objects.filter(user=user, is_active=True)
    if active.count() >= settings.MAX_PATIENT_PROFILES:
        raise Conflict(
            "profile_limit_reached",
            _("You can keep at most %(count)d patient profiles.")
            % {"count": settings.MAX_PATIENT_PROFILES},
        )
    id_card_hash = crypto.lookup_hash(id_card.number, context=ID_CARD_HASH_CONTEXT)
    if active.filter(id_card_hash=id_card_hash).exists():
        raise Conflict(
            "profile_duplicate_id_card",
            _("A patient profile with this ID-card number already exists."),
        )

    profile = PatientProfile(
        user=user,
        name=name,
        relation=relation,
        gender=id_card.gender,
        birth_date=id_card.birth_date,
        phone_encrypted=crypto.encrypt(phone, context=PHONE_CONTEXT),
        phone_hash=crypto.lookup_hash(phone, context=PHONE_HASH_CONTEXT),
        id_card_encrypted=crypto.encrypt(id_card.number, context=ID_CARD_CONTEXT),
        id_card_hash=id_card_hash,
        id_card_last4=id_card.number[-4:],
        insurance_card_encrypted=(
            crypto.encrypt(insurance_card_no, context=INSURANCE_CARD_CONTEXT)
            if insurance_card_no
            else ""
        ),
        is_active=True,
    )
    profile.full_clean()
    profile.save()
    operation_log_write(
        actor=actor,
        action="patient_profile_create",
        obj=profile,
        summary=f"relation={profile.relation}",
    )
    return profile


def _locked_active_profile(profile: PatientProfile) -> PatientProfile:
    locked = (
        PatientProfile.objects.select_for_update()
        .filter(pk=profile.pk, is_active=True)
        .first()
    )
    if locked is None:
        raise NotFound("profile_not_found", _("Patient profile not found."))
    return locked


@transaction.atomic
def patient_profile_update(
    *,
    actor: Actor,
    profile: PatientProfile,
    name: str | None = None,
    relation: str | None = None,
    phone: str | None = None,
    insurance_card_no: str | None = None,
) -> PatientProfile:
    """Change a profile's name, relation, phone or insurance card (None: keep as is).

    The ID-card number, and the gender and birth date read from it, cannot change: add a
    new profile instead. Writes one operation-log row when anything changed.
    """
    errors: dict[str, list[str]] = {}
    try:
        name = None if name is None else _clean_name(name)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        phone = None if phone is None else normalize_phone(phone)
    except ValidationError as exc:
        errors["phone"] = exc.messages
    try:
        insurance_card_no = (
            None
            if insurance_card_no is None
            else normalize_insurance_card(insurance_card_no)
        )
    except ValidationError as exc:
        errors["insurance_card_no"] = exc.messages
    if errors:
        raise ValidationError(errors)

    profile = _locked_active_profile(profile)
    changed: list[str] = []
    if name is not None and name != profile.name:
        profile.name = name
        changed.append("name")
    if relation is not None and relation != profile.relation:
        profile.relation = relation
        changed.append("relation")
    if phone is not None and phone != profile_phone(profile):
        profile.phone_encrypted = crypto.encrypt(phone, context=PHONE_CONTEXT)
        profile.phone_hash = crypto.lookup_hash(phone, context=PHONE_HASH_CONTEXT)
        changed.append("phone_encrypted")
    if insurance_card_no is not None and insurance_card_no != profile_insurance_card_no(
        profile
    ):
        profile.insurance_card_encrypted = (
            crypto.encrypt(insurance_card_no, context=INSURANCE_CARD_CONTEXT)
            if insurance_card_no
            else ""
        )
        changed.append("insurance_card_encrypted")
    if not changed:
        return profile

    profile.full_clean()
    # The phone's lookup hash follows its ciphertext (not listed in the log's summary).
    hash_field = ["phone_hash"] if "phone_encrypted" in changed else []
    profile.save(update_fields=[*changed, *hash_field, "updated_at"])
    operation_log_write(
        actor=actor,
        action="patient_profile_update",
        obj=profile,
        # Field names only: the values may be personal data.
        summary="changed: " + ", ".join(changed),
    )
    return profile


@transaction.atomic
def patient_profile_delete(*, actor: Actor, profile: PatientProfile) -> None:
    """Soft-delete a profile (is_active=None), keeping it for past appointments.

    Refused with Conflict("profile_has_active_bookings") while it has upcoming ones; its
    waitlist entries are closed.
    """
    profile = _locked_active_profile(profile)
    if profile.appointments.filter(status__in=Appointment.UPCOMING).exists():
        raise Conflict(
            "profile_has_active_bookings",
            _("This patient has upcoming appointments; cancel them first."),
        )
    profile.is_active = None
    # is_active is not blank=True on the model, so full_clean() would call NULL "required";
    # NULL is exactly the deleted marker, checked by the table's CheckConstraint.
    profile.full_clean(exclude=["is_active"])
    profile.save(update_fields=["is_active", "updated_at"])
    operation_log_write(actor=actor, action="patient_profile_delete", obj=profile)
    # A deleted patient must not be promoted into a booking later.
    from appointments.services import waitlist_close_for_profile

    waitlist_close_for_profile(actor=actor, profile=profile)


# -- staff administration --------------------------------------------------------------

# Written only by accounts/members.py, under the user's row lock.
_MEMBERSHIP_FIELDS = frozenset({"points", "member_level", "member_level_floor"})


@transaction.atomic
def user_save_by_admin(
    *, actor: Actor, user: User, is_new: bool, changed_fields: list[str]
) -> User:
    """Save a user edited in the Django admin and record who changed which fields.

    The admin form has already validated the input; full_clean() re-checks the model's
    constraints (staff and doctors need a hospital). An edit never writes the points or
    the levels: the copy in the form may be older than a payment that changed them.
    """
    user.full_clean()
    if is_new:
        user.save()
    else:
        user.save(
            update_fields=[
                field.name
                for field in User._meta.concrete_fields
                if not field.primary_key and field.name not in _MEMBERSHIP_FIELDS
            ]
        )
    operation_log_write(
        actor=actor,
        action="user_create_by_admin" if is_new else "user_update_by_admin",
        obj=user,
        # Field names only: values such as phones are personal data.
        summary="changed: " + ", ".join(changed_fields) if changed_fields else "",
    )
    return user
