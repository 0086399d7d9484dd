from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from common.models import TimeStampedModel


class Hospital(TimeStampedModel):
    class Level(models.TextChoices):
        GRADE_3A = "3A", _("三级甲等")
        GRADE_3B = "3B", _("三级乙等")
        GRADE_2A = "2A", _("二级甲等")
        GRADE_2B = "2B", _("二级乙等")
        GRADE_1 = "1", _("一级")
        UNRATED = "none", _("未定级")

    name = models.CharField(_("name"), max_length=100, unique=True)
    level = models.CharField(
        _("level"), max_length=4, choices=Level.choices, db_index=True
    )
    region = models.CharField(_("region"), max_length=50, db_index=True)
    address = models.CharField(_("address"), max_length=255)
    # An institution's switchboard (电话), not a person's mobile (手机号).
    phone = models.CharField(pgettext_lazy("institution", "phone"), max_length=30)
    introduction = models.TextField(_("introduction"), blank=True)
    logo_url = models.URLField(_("logo URL"), blank=True)
    is_open = models.BooleanField(_("open"), default=True)

    class Meta:
        verbose_name = _("hospital")
        verbose_name_plural = _("hospitals")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class Department(TimeStampedModel):
    """A department; top-level ones (大科室) have no parent, clinics (科室) have one."""

    hospital = models.ForeignKey(
        Hospital,
        on_delete=models.PROTECT,
        related_name="departments",
        verbose_name=_("hospital"),
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent"),
    )
    name = models.CharField(_("name"), max_length=50)
    introduction = models.TextField(_("introduction"), blank=True)
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["sort_order", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["hospital", "parent", "name"], name="department_unique_name"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Doctor(TimeStampedModel):
    class Title(models.TextChoices):
        CHIEF = "chief", _("主任医师")
        ASSOCIATE_CHIEF = "associate_chief", _("副主任医师")
        ATTENDING = "attending", _("主治医师")
        RESIDENT = "resident", _("住院医师")

    hospital = models.ForeignKey(
        Hospital,
        on_delete=models.PROTECT,
        related_name="doctors",
        verbose_name=_("hospital"),
    )
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        related_name="doctors",
        verbose_name=_("department"),
    )
    name = models.CharField(pgettext_lazy("person", "name"), max_length=50)
    title = models.CharField(
        pgettext_lazy("doctor", "title"), max_length=20, choices=Title.choices
    )
    specialty = models.CharField(_("specialty"), max_length=255, blank=True)
    introduction = models.TextField(_("introduction"), blank=True)
    photo_url = models.URLField(_("photo URL"), blank=True)
    fee = models.PositiveIntegerField(
        _("registration fee"),
        help_text=_("Stored in fen; staff type and read it in yuan."),
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="doctor",
        verbose_name=_("user account"),
    )
    is_active = models.BooleanField(_("active"), default=True)
    # Over all the doctor's sessions of one date; counted by appointments' booking.
    max_patients_per_day = models.PositiveSmallIntegerField(
        _("max patients per day"),
        null=True,
        blank=True,
        help_text=_(
            "Patients over all of the doctor's sessions of one date: every booking "
            "that is not cancelled (unpaid, booked, at the clinic, seen or missed). "
            "Empty: no limit."
        ),
    )

    MAX_PATIENTS_PER_DAY = 500

    class Meta:
        verbose_name = _("doctor")
        verbose_name_plural = _("doctors")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(fee__lte=10_000_000), name="doctor_fee_reasonable"
            ),
            models.CheckConstraint(
                condition=Q(max_patients_per_day__isnull=True)
                | Q(max_patients_per_day__gte=1),
                name="doctor_day_cap_at_least_one",
            ),
        ]

    def clean(self) -> None:
        cap = self.max_patients_per_day
        if cap is not None and not 1 <= cap <= self.MAX_PATIENTS_PER_DAY:
            raise ValidationError(
                {
                    "max_patients_per_day": _(
                        "Must be between 1 and %(highest)s, or empty for no limit."
                    )
                    % {"highest": self.MAX_PATIENTS_PER_DAY}
                }
            )

    def __str__(self) -> str:
        """ "内科 · 张三（主任医师）" in doctor pickers.

        The department is named only when it is already loaded (select_related), so a
        list of choices never runs a query per doctor; otherwise "张三（主任医师）".
        """
        params = {"name": self.name, "title": self.get_title_display()}
        if self.department_id is not None and Doctor.department.is_cached(self):
            return gettext("%(department)s · %(name)s (%(title)s)") % (
                params | {"department": self.department.name}
            )
        return gettext("%(name)s (%(title)s)") % params


class ConsultingRoom(TimeStampedModel):
    """A consulting room (诊室) of a department, where its clinic sessions are held.

    The hospital is copied from the department (set by the service), so staff scoping and
    the room pickers of other hospitals' admins need no join.
    """

    hospital = models.ForeignKey(
        Hospital,
        on_delete=models.PROTECT,
        related_name="consulting_rooms",
        verbose_name=_("hospital"),
    )
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        related_name="consulting_rooms",
        verbose_name=_("department"),
    )
    name = models.CharField(
        _("room name or number"),
        max_length=50,
        help_text=_("As the sign on the door reads, e.g. 3诊室 or 205."),
    )
    floor = models.CharField(_("floor"), max_length=10, help_text=_("e.g. 3F or B1."))
    building = models.CharField(_("building"), max_length=50, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("consulting room")
        verbose_name_plural = _("consulting rooms")
        ordering = ["department_id", "name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["department", "name"], name="room_unique_department_name"
            ),
        ]

    def __str__(self) -> str:
        """ "门诊楼 3F 3诊室" (the building only when there is one)."""
        return " ".join(part for part in (self.building, self.floor, self.name) if part)

    def clean(self) -> None:
        if (
            self.department_id is not None
            and self.hospital_id is not None
            and self.department.hospital_id != self.hospital_id
        ):
            raise ValidationError(
                {"department": _("The department must belong to the room's hospital.")}
            )
