"""Reads of the hospital catalog as patients see it.

Patients never see a closed hospital, an inactive department (or a clinic under one) or an
inactive doctor: the *_get_for_patient selectors answer NotFound for those, exactly as for
an id that does not exist. Each selector runs a fixed number of queries.
"""

from django.db.models import Case, IntegerField, Prefetch, Q, QuerySet, Value, When
from django.utils.translation import gettext as _

from common.errors import NotFound
from hospitals.errors import ErrorCode
from hospitals.models import Department, Doctor, Hospital

# Primary keys are BigAutoFields; a larger number from a URL cannot name a row, and the
# database drivers fail on it instead of finding nothing.
_MAX_ID = 2**63 - 1

# Senior doctors first, the way hospitals list them.
_TITLE_RANK = Case(
    *(
        When(title=title, then=Value(rank))
        for rank, title in enumerate(Doctor.Title.values)
    ),
    default=Value(len(Doctor.Title.values)),
    output_field=IntegerField(),
)


def hospital_list(*, q: str = "", level: str = "", region: str = "") -> QuerySet:
    """Open hospitals, optionally filtered by part of the name, exact level and exact region."""
    hospitals = Hospital.objects.filter(is_open=True)
    if q:
        hospitals = hospitals.filter(name__icontains=q)
    if level:
        hospitals = hospitals.filter(level=level)
    if region:
        hospitals = hospitals.filter(region=region)
    return hospitals.order_by("id")


def hospital_get_for_patient(*, hospital_id: int) -> Hospital:
    """An open hospital with `top_departments` (active, sorted), each with active `active_children`.

    Three queries: the hospital, its top-level departments and their clinics.
    """
    if not 0 < hospital_id <= _MAX_ID:
        raise NotFound(ErrorCode.HOSPITAL_NOT_FOUND, _("Hospital not found."))
    active = Department.objects.filter(is_active=True).order_by("sort_order", "id")
    hospital = (
        Hospital.objects.filter(pk=hospital_id, is_open=True)
        .prefetch_related(
            Prefetch(
                "departments",
                queryset=active.filter(parent__isnull=True).prefetch_related(
                    Prefetch("children", queryset=active, to_attr="active_children")
                ),
                to_attr="top_departments",
            )
        )
        .first()
    )
    if hospital is None:
        raise NotFound(ErrorCode.HOSPITAL_NOT_FOUND, _("Hospital not found."))
    return hospital


def department_get_for_patient(*, department_id: int) -> Department:
    """An active department of an open hospital whose parent (if any) is active too."""
    if not 0 < department_id <= _MAX_ID:
        raise NotFound(ErrorCode.DEPARTMENT_NOT_FOUND, _("Department not found."))
    department = (
        Department.objects.select_related("hospital", "parent")
        .filter(pk=department_id, is_active=True, hospital__is_open=True)
        .filter(Q(parent__isnull=True) | Q(parent__is_active=True))
        .first()
    )
    if department is None:
        raise NotFound(ErrorCode.DEPARTMENT_NOT_FOUND, _("Department not found."))
    return department


def doctor_list_for_department(*, department: Department) -> QuerySet:
    """Active doctors of a department; a top-level department includes its active clinics' doctors."""
    in_department = Q(department=department)
    if department.parent_id is None:
        in_department |= Q(department__parent=department, department__is_active=True)
    return (
        Doctor.objects.filter(in_department, is_active=True)
        .select_related("department")
        .order_by(_TITLE_RANK, "id")
    )


def doctor_get_for_patient(*, doctor_id: int) -> Doctor:
    """An active doctor in an active department of an open hospital, with both loaded."""
    if not 0 < doctor_id <= _MAX_ID:
        raise NotFound(ErrorCode.DOCTOR_NOT_FOUND, _("Doctor not found."))
    doctor = (
        Doctor.objects.select_related("hospital", "department", "department__parent")
        .filter(
            pk=doctor_id,
            is_active=True,
            hospital__is_open=True,
            department__is_active=True,
        )
        .filter(
            Q(department__parent__isnull=True) | Q(department__parent__is_active=True)
        )
        .first()
    )
    if doctor is None:
        raise NotFound(ErrorCode.DOCTOR_NOT_FOUND, _("Doctor not found."))
    return doctor


def doctor_search(
    *,
    q: str = "",
    hospital_id: int | None = None,
    department_id: int | None = None,
    title: str = "",
) -> QuerySet:
    """Doctors patients may see (as doctor_get_for_patient), filtered; senior doctors first.

    `q` matches part of the doctor's name, the specialty, or the name of the department
    or of its parent; `department_id` includes the clinics under a top-level department.
    An unknown id simply matches nothing. Loads hospital and department (one query).
    """
    doctors = Doctor.objects.filter(
        is_active=True, hospital__is_open=True, department__is_active=True
    ).filter(Q(department__parent__isnull=True) | Q(department__parent__is_active=True))
    if q:
        doctors = doctors.filter(
            Q(name__icontains=q)
            | Q(specialty__icontains=q)
            | Q(department__name__icontains=q)
            | Q(department__parent__name__icontains=q)
        )
    if hospital_id is not None:
        doctors = doctors.filter(hospital_id=hospital_id)
    if department_id is not None:
        doctors = doctors.filter(
            Q(department_id=department_id) | Q(department__parent_id=department_id)
        )
    if title:
        doctors = doctors.filter(title=title)
    return doctors.select_related("hospital", "department").order_by(_TITLE_RANK, "id")
