from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from common.models import TimeStampedModel


class User(AbstractUser):
    """Everyone who logs in: patients (mini-program), doctors, hospital staff, platform admins."""

    class Role(models.TextChoices):
        PATIENT = "patient", _("Patient")
        DOCTOR = "doctor", _("Doctor")
        HOSPITAL_STAFF = "hospital_staff", _("Hospital staff")
        PLATFORM_ADMIN = "platform_admin", _("Platform admin")

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
    phone = models.CharField(
        _("phone"), max_length=20, unique=True, null=True, blank=True
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
    # Membership uses these from its own issue on.
    member_level = models.CharField(_("member level"), max_length=32, default="normal")
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

    @property
    def is_hospital_scoped(self) -> bool:
        return (
            self.role in (self.Role.HOSPITAL_STAFF, self.Role.DOCTOR)
            and not self.is_superuser
        )


class SmsCode(models.Model):
    """One login code sent by SMS. Only a hash of the code is kept."""

    phone = models.CharField(max_length=20, db_index=True)
    code_hash = models.CharField(max_length=128)
    ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(db_index=True)
    expires_at = models.DateTimeField()
    wrong_tries = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["ip", "created_at"], name="smscode_ip_created")]

    def __str__(self) -> str:
        return f"{self.phone} @ {self.created_at:%Y-%m-%d %H:%M}"


class PatientProfile(TimeStampedModel):
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
    name = models.CharField(_("name"), max_length=50)
    relation = models.CharField(_("relation"), max_length=10, choices=Relation.choices)
    gender = models.CharField(_("gender"), max_length=6, choices=Gender.choices)
    birth_date = models.DateField(_("birth date"))
    phone_encrypted = models.TextField(_("phone (encrypted)"))
    id_card_encrypted = models.TextField(_("ID-card number (encrypted)"))
    id_card_hash = models.CharField(
        _("ID-card lookup hash"), max_length=64, db_index=True
    )
    id_card_last4 = models.CharField(_("ID-card last 4"), max_length=4)
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
