"""Every write to the hospital catalog: hospitals, departments and doctors.

Each service validates with full_clean(), writes an operation-log row in the same
transaction and, once the transaction commits, bumps the catalog cache version so
patients see the change on their next request.
"""

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import ProtectedError, RestrictedError
from django.utils.translation import gettext as _

from common.errors import Conflict
from common.events import publish
from common.services import Actor, operation_log_write
from hospitals.cache import catalog_invalidate
from hospitals.errors import ErrorCode
from hospitals.events import HospitalCreated
from hospitals.models import Department, Doctor, Hospital

HOSPITAL_UPDATE_FIELDS = frozenset(
    {
        "name",
        "level",
        "region",
        "address",
        "phone",
        "introduction",
        "logo_url",
        "is_open",
    }
)
# A department's and a doctor's hospital is fixed at creation: moving one would strand
# its clinics, doctors, sessions and staff scoping in the old hospital.
DEPARTMENT_UPDATE_FIELDS = frozenset(
    {"parent", "name", "introduction", "sort_order", "is_active"}
)
DOCTOR_UPDATE_FIELDS = frozenset(
    {
        "department",
        "name",
        "title",
        "specialty",
        "introduction",
        "photo_url",
        "fee",
        "user",
        "is_active",
        "max_patients_per_day",
    }
)


# -- validation shared with the admin forms --------------------------------------------


def department_validate(*, department: Department) -> None:
    """Rules full_clean() cannot see: the tree has two levels within one hospital.

    Raises ValidationError keyed by field, so admin forms can show it next to the field.
    """
    errors: dict[str, str] = {}
    parent = department.parent
    if parent is not None:
        if department.pk is not None and parent.pk == department.pk:
            errors["parent"] = _("A department cannot be its own parent.")
        elif parent.hospital_id != department.hospital_id:
            errors["parent"] = _(
                "The parent department must belong to the same hospital."
            )
        elif parent.parent_id is not None:
            errors["parent"] = _(
                "The parent must be a top-level department: departments have two levels only."
            )
        elif (
            department.pk is not None
            and Department.objects.filter(parent_id=department.pk).exists()
        ):
            errors["parent"] = _(
                "This department has sub-departments, so it must stay top-level."
            )
    elif department.hospital_id is not None and department.name:
        # The unique constraint on (hospital, parent, name) does not cover a NULL parent.
        duplicates = Department.objects.filter(
            hospital_id=department.hospital_id,
            parent__isnull=True,
            name=department.name,
        ).exclude(pk=department.pk)
        if duplicates.exists():
            errors["name"] = _(
                "This hospital already has a top-level department with this name."
            )
    if errors:
        raise ValidationError(errors)


def doctor_validate(*, doctor: Doctor) -> None:
    """Rules full_clean() cannot see: department and user account belong to the doctor's hospital."""
    errors: dict[str, str] = {}
    if isinstance(doctor.fee, bool) or not isinstance(doctor.fee, int):
        errors["fee"] = _("The fee must be a whole number of fen.")
    if (
        doctor.department_id is not None
        and doctor.hospital_id is not None
        and doctor.department.hospital_id != doctor.hospital_id
    ):
        errors["department"] = _("The department must belong to the doctor's hospital.")
    user = doctor.user
    if user is not None and (
        user.role != user.Role.DOCTOR or user.hospital_id != doctor.hospital_id
    ):
        errors["user"] = _(
            "The user account must be a doctor account of the same hospital."
        )
    if errors:
        raise ValidationError(errors)


# -- hospitals -------------------------------------------------------------------------


@transaction.atomic
def hospital_create(
    *,
    actor: Actor,
    name: str,
    level: str,
    region: str,
    address: str,
    phone: str,
    introduction: str = "",
    logo_url: str = "",
    is_open: bool = True,
) -> Hospital:
    hospital = Hospital(
        name=name,
        level=level,
        region=region,
        address=address,
        phone=phone,
        introduction=introduction,
        logo_url=logo_url,
        is_open=is_open,
    )
    hospital.full_clean()
    hospital.save()
    operation_log_write(
        actor=actor, action="hospital.create", obj=hospital, summary=hospital.name
    )
    # Scheduling gives the new hospital its default booking rule, in this transaction.
    publish(HospitalCreated(hospital_id=hospital.pk))
    transaction.on_commit(catalog_invalidate)
    return hospital


@transaction.atomic
def hospital_update(
    *, actor: Actor, hospital: Hospital, data: dict[str, Any]
) -> Hospital:
    """Change the given fields (a subset of HOSPITAL_UPDATE_FIELDS); no change writes nothing."""
    changed = _apply(hospital, data, HOSPITAL_UPDATE_FIELDS)
    if not changed:
        return hospital
    hospital.full_clean()
    hospital.save(update_fields=[*changed, "updated_at"])
    _log_update(actor=actor, action="hospital.update", obj=hospital, changed=changed)
    return hospital


@transaction.atomic
def hospital_delete(*, actor: Actor, hospital: Hospital) -> None:
    """Delete a hospital that nothing refers to any more; otherwise close it instead."""
    operation_log_write(
        actor=actor, action="hospital.delete", obj=hospital, summary=hospital.name
    )
    _delete(
        hospital,
        code=ErrorCode.HOSPITAL_IN_USE,
        message=_(
            "This hospital still has departments, doctors or other records; close it instead of deleting it."
        ),
    )


# -- departments -----------------------------------------------------------------------


@transaction.atomic
def department_create(
    *,
    actor: Actor,
    hospital: Hospital,
    name: str,
    parent: Department | None = None,
    introduction: str = "",
    sort_order: int = 0,
    is_active: bool = True,
) -> Department:
    department = Department(
        hospital=hospital,
        parent=parent,
        name=name,
        introduction=introduction,
        sort_order=sort_order,
        is_active=is_active,
    )
    _full_clean(department, lambda: department_validate(department=department))
    department.save()
    operation_log_write(
        actor=actor,
        action="department.create",
        obj=department,
        summary=f"{hospital.name} / {department.name}",
    )
    transaction.on_commit(catalog_invalidate)
    return department


@transaction.atomic
def department_update(
    *, actor: Actor, department: Department, data: dict[str, Any]
) -> Department:
    """Change the given fields (a subset of DEPARTMENT_UPDATE_FIELDS); no change writes nothing."""
    changed = _apply(department, data, DEPARTMENT_UPDATE_FIELDS)
    if not changed:
        return department
    _full_clean(department, lambda: department_validate(department=department))
    department.save(update_fields=[*changed, "updated_at"])
    _log_update(
        actor=actor, action="department.update", obj=department, changed=changed
    )
    return department


@transaction.atomic
def department_delete(*, actor: Actor, department: Department) -> None:
    operation_log_write(
        actor=actor,
        action="department.delete",
        obj=department,
        summary=department.name,
    )
    _delete(
        department,
        code=ErrorCode.DEPARTMENT_IN_USE,
        message=_(
            "This department still has sub-departments or doctors; deactivate it instead of deleting it."
        ),
    )


# -- doctors ---------------------------------------------------------------------------


@transaction.atomic
def doctor_create(
    *,
    actor: Actor,
    hospital: Hospital,
    department: Department,
    name: str,
    title: str,
    fee: int,
    specialty: str = "",
    introduction: str = "",
    photo_url: str = "",
    user: models.Model | None = None,
    is_active: bool = True,
    max_patients_per_day: int | None = None,
) -> Doctor:
    """Add a doctor; `fee` is the registration fee in fen (integer, 0 or more).

    `max_patients_per_day`: bookings over all the doctor's sessions of a date; None, no limit.
    """
    doctor = Doctor(
        hospital=hospital,
        department=department,
        name=name,
        title=title,
        fee=fee,
        specialty=specialty,
        introduction=introduction,
        photo_url=photo_url,
        user=user,
        is_active=is_active,
        max_patients_per_day=max_patients_per_day,
    )
    _full_clean(doctor, lambda: doctor_validate(doctor=doctor))
    doctor.save()
    operation_log_write(
        actor=actor,
        action="doctor.create",
        obj=doctor,
        summary=f"{hospital.name} / {department.name} / {doctor.name}",
    )
    transaction.on_commit(catalog_invalidate)
    return doctor


@transaction.atomic
def doctor_update(*, actor: Actor, doctor: Doctor, data: dict[str, Any]) -> Doctor:
    """Change the given fields (a subset of DOCTOR_UPDATE_FIELDS); no change writes nothing."""
    changed = _apply(doctor, data, DOCTOR_UPDATE_FIELDS)
    if not changed:
        return doctor
    _full_clean(doctor, lambda: doctor_validate(doctor=doctor))
    doctor.save(update_fields=[*changed, "updated_at"])
    _log_update(actor=actor, action="doctor.update", obj=doctor, changed=changed)
    return doctor


@transaction.atomic
def doctor_delete(*, actor: Actor, doctor: Doctor) -> None:
    operation_log_write(
        actor=actor, action="doctor.delete", obj=doctor, summary=doctor.name
    )
    _delete(
        doctor,
        code=ErrorCode.DOCTOR_IN_USE,
        message=_(
            "This doctor already has clinic sessions; deactivate the doctor instead of deleting."
        ),
    )


# -- helpers ---------------------------------------------------------------------------


def _apply(
    instance: models.Model, data: dict[str, Any], allowed: frozenset[str]
) -> list[str]:
    """Set the fields in `data` on `instance`; return the names whose value changed."""
    unknown = set(data) - allowed
    if unknown:
        raise ValueError(f"cannot update {', '.join(sorted(unknown))}")
    changed = []
    for name, value in data.items():
        field = instance._meta.get_field(name)
        before = getattr(instance, field.attname)
        setattr(instance, name, value)
        if getattr(instance, field.attname) != before:
            changed.append(name)
    return changed


def _full_clean(instance: models.Model, validate: Callable[[], None]) -> None:
    """full_clean() plus the service's own rules, reported together by field."""
    errors: dict = {}
    # The rules run first: full_clean() would silently truncate a float fee to an int.
    try:
        validate()
    except ValidationError as exc:
        errors = exc.update_error_dict(errors)
    try:
        instance.full_clean()
    except ValidationError as exc:
        errors = exc.update_error_dict(errors)
    if errors:
        raise ValidationError(errors)


def _log_update(
    *, actor: Actor, action: str, obj: models.Model, changed: list[str]
) -> None:
    operation_log_write(
        actor=actor,
        action=action,
        obj=obj,
        summary=f"{obj}: {', '.join(changed)}",
    )
    transaction.on_commit(catalog_invalidate)


def _delete(instance: models.Model, *, code: str, message: str) -> None:
    try:
        instance.delete()
    except (ProtectedError, RestrictedError):
        # Raised by the deletion collector before any SQL runs: the rollback only
        # removes the log row written above.
        raise Conflict(code, message) from None
    transaction.on_commit(catalog_invalidate)
