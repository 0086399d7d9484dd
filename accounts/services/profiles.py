"""Patient profiles (就诊人): the people a patient account books for."""

from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.errors import ErrorCode
from accounts.events import PatientAccountChanged, PatientProfileDeleting
from accounts.models import PatientProfile, User
from accounts.selectors import (
    ID_CARD_CONTEXT,
    ID_CARD_HASH_CONTEXT,
    INSURANCE_CARD_CONTEXT,
    PHONE_CONTEXT,
    PHONE_HASH_CONTEXT,
    profile_insurance_card_no,
    profile_phone,
)
from accounts.sensitive import id_card_last4_hash
from accounts.validators import (
    normalize_insurance_card,
    normalize_phone,
    parse_id_card,
)
from common import crypto
from common.errors import Conflict, NotFound
from common.events import publish
from common.services import Actor, operation_log_write

NAME_MAX_LENGTH = 50


def _clean_name(name: str) -> str:
    value = name.strip() if isinstance(name, str) else ""
    if not value:
        raise ValidationError({"name": [_("Enter the patient's name.")]})
    # Checked here: the stored column is ciphertext, whose length says nothing.
    if len(value) > NAME_MAX_LENGTH:
        raise ValidationError(
            {
                "name": [
                    _("Enter at most %(count)d characters.")
                    % {"count": NAME_MAX_LENGTH}
                ]
            }
        )
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
    the user's row is locked first, so concurrent creates count one after another. One ID
    number may be active on at most settings.MAX_ACCOUNTS_PER_ID_CARD accounts (so one
    person cannot spread bookings over many phone numbers); the person's oldest profile
    row is locked for that count, as booking does for the caps.
    Raises ValidationError (bad input) or Conflict (profile_limit_reached,
    profile_duplicate_id_card, id_card_on_too_many_accounts).
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
            ErrorCode.PROFILE_LIMIT_REACHED,
            _("You can keep at most %(count)d patient profiles.")
            % {"count": settings.MAX_PATIENT_PROFILES},
        )
    id_card_hash = crypto.lookup_hash(id_card.number, context=ID_CARD_HASH_CONTEXT)
    if active.filter(id_card_hash=id_card_hash).exists():
        raise Conflict(
            ErrorCode.PROFILE_DUPLICATE_ID_CARD,
            _("A patient profile with this ID-card number already exists."),
        )
    _accounts_per_id_card_check(user=user, id_card_hash=id_card_hash)

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
        id_card_last4_hash=id_card_last4_hash(id_card.number[-4:]),
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
    publish(PatientAccountChanged(user_id=user.pk))
    return profile


def person_lock(*, id_card_hash: str) -> None:
    """Lock the person's anchor row: the oldest profile (any account, deleted or not) with
    this ID number. Everything counted per real person (accounts per ID number, bookings
    against the caps) runs under it, so two accounts of one person queue one after the
    other. Profiles are never hard-deleted, so the anchor never changes once it exists.
    No row yet (a first profile): nothing to lock, and nothing to count either.
    """
    (
        PatientProfile.objects.select_for_update()
        .filter(id_card_hash=id_card_hash)
        .order_by("pk")
        .values_list("pk")
        .first()
    )


def _accounts_per_id_card_check(*, user: User, id_card_hash: str) -> None:
    person_lock(id_card_hash=id_card_hash)
    other_accounts = (
        PatientProfile.objects.filter(id_card_hash=id_card_hash, is_active=True)
        .exclude(user=user)
        .values("user")
        .distinct()
        .count()
    )
    if other_accounts >= settings.MAX_ACCOUNTS_PER_ID_CARD:
        raise Conflict(
            ErrorCode.ID_CARD_ON_TOO_MANY_ACCOUNTS,
            _(
                "This ID-card number is already a patient on the most accounts "
                "allowed (%(count)d)."
            )
            % {"count": settings.MAX_ACCOUNTS_PER_ID_CARD},
        )


def _locked_active_profile(profile: PatientProfile) -> PatientProfile:
    locked = (
        PatientProfile.objects.select_for_update()
        .filter(pk=profile.pk, is_active=True)
        .first()
    )
    if locked is None:
        raise NotFound(ErrorCode.PROFILE_NOT_FOUND, _("Patient profile not found."))
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
        profile.name = name  # sets name_encrypted and name_hash
        changed.append("name_encrypted")
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
    # Lookup hashes follow their ciphertext (not listed in the log's summary).
    hashes = {"phone_encrypted": "phone_hash", "name_encrypted": "name_hash"}
    hash_fields = [hashes[field] for field in changed if field in hashes]
    profile.save(update_fields=[*changed, *hash_fields, "updated_at"])
    operation_log_write(
        actor=actor,
        action="patient_profile_update",
        obj=profile,
        # Field names only: the values may be personal data.
        summary="changed: "
        + ", ".join(
            "name" if field == "name_encrypted" else field for field in changed
        ),
    )
    return profile


@transaction.atomic
def patient_profile_delete(*, actor: Actor, profile: PatientProfile) -> None:
    """Soft-delete a profile (is_active=None), keeping it for past appointments.

    Publishes PatientProfileDeleting first, in this transaction: the appointments app
    refuses the deletion with Conflict("profile_has_active_bookings") while the profile
    has upcoming appointments, and closes its waitlist entries (a deleted patient must
    never be promoted into a booking).
    """
    profile = _locked_active_profile(profile)
    publish(
        PatientProfileDeleting(
            profile_id=profile.pk,
            actor_user_id=None if actor.user is None else actor.user.pk,
            actor_ip=actor.ip,
        )
    )
    profile.is_active = None
    # is_active is not blank=True on the model, so full_clean() would call NULL "required";
    # NULL is exactly the deleted marker, checked by the table's CheckConstraint.
    profile.full_clean(exclude=["is_active"])
    profile.save(update_fields=["is_active", "updated_at"])
    publish(PatientAccountChanged(user_id=profile.user_id))
    operation_log_write(actor=actor, action="patient_profile_delete", obj=profile)
