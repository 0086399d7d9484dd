from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.roles import Role
from accounts.sensitive import (
    SMS_PHONE_CONTEXT,
    USER_PHONE_CONTEXT,
    EncryptedPhoneMixin,
    ProfileSensitiveMixin,
)
from common.models import TimeStampedModel

BASIS_POINTS = 10_000  # 100 %
MAX_PRIORITY_HOURS = 24 * 30


class MemberLevel(TimeStampedModel):
    """A membership level and its privileges: the privileges table, edited in the admin.

    Levels are ordered by the points that reach them. Shares and rates are integers in
    basis points (1/10000), never floats: 9500 means 95 %.
    """

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=32)
    points_required = models.PositiveIntegerField(
        _("points required"),
        unique=True,
        help_text=_("A member reaches this level when their points reach this number."),
    )
    priority_hours = models.PositiveSmallIntegerField(
        _("booking priority (hours)"),
        default=0,
        validators=[MaxValueValidator(MAX_PRIORITY_HOURS)],
        help_text=_("How many hours before the public release this level may book."),
    )
    reserved_share_bp = models.PositiveSmallIntegerField(
        _("reserved seats"),
        default=0,
        validators=[MaxValueValidator(BASIS_POINTS)],
        help_text=_(
            "Share of each session's seats this level may book through the priority "
            "channel before the public release; stored in 1/10000 (1000 = 10 percent)."
        ),
    )
    late_cancel_monthly_quota = models.PositiveSmallIntegerField(
        _("late cancels per month"),
        default=0,
        help_text=_("Cancellations allowed after the normal deadline, per month."),
    )
    discount_rate_bp = models.PositiveSmallIntegerField(
        _("discount"),
        default=BASIS_POINTS,
        validators=[MinValueValidator(1), MaxValueValidator(BASIS_POINTS)],
        help_text=_(
            "Share of the fee the member pays; stored in 1/10000 (10000 = full price, "
            "9500 = 5 percent off). Staff type it in zhe (折): 9.5."
        ),
    )
    waitlist_priority = models.SmallIntegerField(
        _("waitlist priority"),
        default=0,
        help_text=_("Higher numbers are promoted from the waitlist first."),
    )
    visit_priority = models.BooleanField(
        _("called first at the visit"),
        default=False,
        help_text=_(
            "Checked-in members of this level are called before other patients, at "
            "hospitals whose booking rule turns members' priority at the visit on."
        ),
    )

    class Meta:
        verbose_name = _("member level")
        verbose_name_plural = _("member levels")
        ordering = ["points_required"]
        constraints = [
            models.CheckConstraint(
                condition=Q(reserved_share_bp__lte=BASIS_POINTS),
                name="member_level_reserved_share_at_most_all",
            ),
            models.CheckConstraint(
                condition=Q(discount_rate_bp__gte=1)
                & Q(discount_rate_bp__lte=BASIS_POINTS),
                name="member_level_discount_rate_in_range",
            ),
            models.CheckConstraint(
                condition=Q(priority_hours__lte=MAX_PRIORITY_HOURS),
                name="member_level_priority_hours_in_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class User(EncryptedPhoneMixin, AbstractUser):
    """Everyone who logs in: patients (mini-program), doctors, hospital staff, platform admins."""

    Role = Role

    # The roles that belong to one hospital (the constraint below).
    HOSPITAL_ROLES = (Role.DOCTOR, Role.HOSPITAL_STAFF)

    role = models.CharField(
        _("role"), max_length=20, choices=Role.choices, default=Role.PATIENT
    )
    # Staff and doctors belong to one hospital; patients and platform admins to none.
    hospital = models.ForeignKey(
        "hospitals.Hospital",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff_users",
        verbose_name=_("hospital"),
    )
    PHONE_CONTEXT = USER_PHONE_CONTEXT
    # The phone: a keyed hash (unique: one account per phone) and an encrypted copy for
    # sending texts. Read and set it as `user.phone`.
    phone_hash = models.CharField(
        _("phone lookup hash"),
        max_length=64,
        unique=True,
        null=True,
        blank=True,
        editable=False,
    )
    phone_encrypted = models.TextField(
        _("phone (encrypted)"), blank=True, editable=False
    )
    wechat_openid = models.CharField(
        _("WeChat openid"), max_length=64, unique=True, null=True, blank=True
    )
    wechat_unionid = models.CharField(
        _("WeChat unionid"), max_length=64, unique=True, null=True, blank=True
    )
    # The mini-program session key never leaves the server; stored encrypted (common.crypto).
    wechat_session_key = models.TextField(
        _("WeChat session key (encrypted)"), blank=True, editable=False
    )
    nickname = models.CharField(_("nickname"), max_length=64, blank=True)
    # Membership (accounts/members.py): changed only through the points ledger and grants.
    # NULL is the entry level (the lowest threshold): a new user has earned nothing yet.
    # (No default that looks the level up: a default runs on every User(), even in the
    # system checks before the tables exist.)
    member_level = models.ForeignKey(
        "accounts.MemberLevel",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="members",
        verbose_name=_("member level"),
    )
    # A level granted by a platform admin: points never take the member below it.
    member_level_floor = models.ForeignKey(
        "accounts.MemberLevel",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("granted level"),
    )
    # The points balance; always equal to the sum of the user's PointsEntry deltas.
    points = models.PositiveIntegerField(_("points"), default=0)

    objects = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.CheckConstraint(
                condition=Q(role__in=["patient", "platform_admin"])
                | Q(hospital__isnull=False),
                name="user_staff_and_doctors_have_hospital",
            ),
        ]

    def __str__(self) -> str:
        return self.username

    def clean(self) -> None:
        super().clean()
        # The database constraint says the same, but only by its name; this puts a
        # sentence next to the hospital field (full_clean() then skips the constraint).
        if self.role in self.HOSPITAL_ROLES and self.hospital_id is None:
            raise ValidationError(
                {
                    "hospital": ValidationError(
                        _(
                            "Doctors and hospital staff belong to a hospital: choose theirs."
                        ),
                        code="hospital_required",
                    )
                }
            )

    @property
    def is_hospital_scoped(self) -> bool:
        return self.role in self.HOSPITAL_ROLES and not self.is_superuser

    @property
    def sees_every_hospital(self) -> bool:
        """Superusers and platform admins are not tied to one hospital (the admin's
        hospital scoping asks this; anyone else sees at most their own hospital)."""
        return self.is_superuser or self.role == self.Role.PLATFORM_ADMIN


class SmsCode(EncryptedPhoneMixin, models.Model):
    """One login code sent by SMS. Only a hash of the code is kept.

    The phone, like the account's, is a lookup hash (the limits per phone count by it) and
    an encrypted copy.
    """

    PHONE_CONTEXT = SMS_PHONE_CONTEXT
    phone_hash = models.CharField(
        _("phone lookup hash"), max_length=64, db_index=True, editable=False
    )
    phone_encrypted = models.TextField(_("phone (encrypted)"), editable=False)
    code_hash = models.CharField(_("code hash"), max_length=128)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), db_index=True)
    expires_at = models.DateTimeField(_("expires at"))
    wrong_tries = models.PositiveSmallIntegerField(_("wrong tries"), default=0)
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("SMS login code")
        verbose_name_plural = _("SMS login codes")
        indexes = [models.Index(fields=["ip", "created_at"], name="smscode_ip_created")]

    def __str__(self) -> str:
        return f"#{self.pk} @ {self.created_at:%Y-%m-%d %H:%M}"


class PatientProfile(ProfileSensitiveMixin, TimeStampedModel):
    """A person a user books for (就诊人): themself or a family member."""

    class Relation(models.TextChoices):
        SELF = "self", _("Self")
        PARENT = "parent", _("Parent")
        SPOUSE = "spouse", _("Spouse")
        CHILD = "child", _("Child")
        RELATIVE = "relative", _("Relative")
        OTHER = "other", _("Other")

    class Gender(models.TextChoices):
        MALE = "male", _("Male")
        FEMALE = "female", _("Female")

    user = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="profiles", verbose_name=_("user")
    )
    # The name is encrypted; its keyed hash lets the desk find a patient by the exact full
    # name. Read and set it as `profile.name`.
    name_encrypted = models.TextField(
        pgettext_lazy("person", "name (encrypted)"), editable=False
    )
    name_hash = models.CharField(
        _("name lookup hash"), max_length=64, db_index=True, editable=False
    )
    relation = models.CharField(_("relation"), max_length=10, choices=Relation.choices)
    gender = models.CharField(_("gender"), max_length=6, choices=Gender.choices)
    # The birth date is encrypted; only its year is kept in clear (age bands for the
    # statistics and the no-show model). Read and set it as `profile.birth_date`.
    birth_date_encrypted = models.TextField(_("birth date (encrypted)"), editable=False)
    birth_year = models.PositiveSmallIntegerField(_("birth year"), editable=False)
    phone_encrypted = models.TextField(_("phone (encrypted)"))
    # A keyed hash of the phone, so the desk can find a family member by the full number
    # without the number being readable in the table (common.crypto.lookup_hash).
    phone_hash = models.CharField(
        _("phone lookup hash"), max_length=64, db_index=True, blank=True, editable=False
    )
    id_card_encrypted = models.TextField(_("ID-card number (encrypted)"))
    id_card_hash = models.CharField(
        _("ID-card lookup hash"), max_length=64, db_index=True
    )
    # A keyed hash of the number's last four characters, for the desk's search: in clear,
    # they and the birth date would leave only the region code of the number unknown.
    id_card_last4_hash = models.CharField(
        _("ID-card last 4 lookup hash"), max_length=64, db_index=True, editable=False
    )
    insurance_card_encrypted = models.TextField(
        _("insurance card number (encrypted)"), blank=True
    )
    # True while the profile is in use, NULL once deleted. Unique keys ignore NULLs on every
    # engine, so (user, id_card_hash, is_active) allows one live profile per ID and any number
    # of deleted ones; MySQL ignores conditional unique constraints, hence this column.
    is_active = models.BooleanField(_("active"), null=True, default=True)

    class Meta:
        verbose_name = _("patient profile")
        verbose_name_plural = _("patient profiles")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "id_card_hash", "is_active"],
                name="profile_unique_id_card_per_user",
            ),
            models.CheckConstraint(
                condition=Q(is_active=True) | Q(is_active__isnull=True),
                name="profile_active_true_or_null",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class PointsEntry(models.Model):
    """One change of a member's points: the ledger. Rows are never changed or deleted.

    (source_type, source_id) is unique, so an event delivered twice (a retried task, a
    repeated payment notification) is counted once: the second insert fails on the key.
    """

    class Source(models.TextChoices):
        ORDER_PAID = "order_paid", _("Paid booking")
        APPOINTMENT_COMPLETED = "appointment_completed", _("Completed visit")
        REFUND = "refund", _("Refund")

    user = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        related_name="points_entries",
        verbose_name=_("user"),
    )
    # What was applied: a take-back larger than the balance records only what was there.
    delta = models.IntegerField(_("points"))
    balance_after = models.PositiveIntegerField(_("balance after"))
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    source_type = models.CharField(_("source"), max_length=32, choices=Source.choices)
    source_id = models.CharField(_("source id"), max_length=64)
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("points entry")
        verbose_name_plural = _("points entries")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source_type", "source_id"], name="points_entry_unique_source"
            ),
        ]
        indexes = [
            models.Index(fields=["user", "created_at"], name="points_entry_user_time"),
        ]

    def __str__(self) -> str:
        return f"{self.delta:+d} {self.source_type}:{self.source_id}"


class LateCancelUse(models.Model):
    """One cancellation after the deadline, counted against the level's monthly quota."""

    user = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        related_name="late_cancel_uses",
        verbose_name=_("user"),
    )
    # The appointment's id, not a foreign key: appointments sit in a higher app, which
    # accounts never refers to. There never was a database FK either: the row is written
    # inside the cancel transaction, and the FK check would take a shared lock on the
    # appointment row that the cancel then updates (two such upgrades deadlock on InnoDB).
    # Appointments are never deleted. One use per appointment.
    appointment_id = models.PositiveBigIntegerField(_("appointment"), unique=True)
    used_at = models.DateTimeField(_("used at"))

    class Meta:
        verbose_name = _("late cancel")
        verbose_name_plural = _("late cancels")
        ordering = ["-used_at", "-id"]
        indexes = [
            models.Index(fields=["user", "used_at"], name="late_cancel_user_time"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} @ {self.used_at:%Y-%m-%d %H:%M}"


class RevokedLoginSession(models.Model):
    """A logged-out login session: its tokens are refused until `expires_at`.

    Every JWT pair issued at login carries a session id (the `sid` claim, copied into each
    access token and kept through refresh-token rotation). Logging out records the session
    here; the API's authentication refuses any access token carrying it, and token refresh
    refuses its refresh tokens. A row is kept while any token of the session could still be
    valid (the longer of the two token lifetimes), then pruned by a periodic job.
    """

    sid = models.CharField(_("session id"), max_length=64, unique=True)
    user = models.ForeignKey(
        User,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("user"),
    )
    revoked_at = models.DateTimeField(_("revoked at"))
    expires_at = models.DateTimeField(_("expires at"), db_index=True)

    class Meta:
        verbose_name = _("revoked login session")
        verbose_name_plural = _("revoked login sessions")

    def __str__(self) -> str:
        return f"{self.user_id}:{self.sid[:8]}"
