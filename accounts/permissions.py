"""Who may call an API view: DRF permission classes shared by every app.

They answer only "may this kind of user reach this view at all" (403 otherwise). Which
objects the user may act on is the selectors' job: an id of another hospital, or of
another doctor's session, answers 404 there, never someone else's data.
"""

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView

from accounts.models import User


def _user(request: Request) -> User | None:
    user = request.user
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    return user


# The role checks, also for code that is not a DRF view (the workspace pages, records'
# access rules). Anonymous users have no role.


def user_is_doctor(user: User) -> bool:
    """A doctor's account tied to a hospital."""
    return (
        getattr(user, "is_authenticated", False)
        and user.role == User.Role.DOCTOR
        and user.hospital_id is not None
    )


def user_is_hospital_staff(user: User) -> bool:
    """A hospital staff member's account tied to a hospital."""
    return (
        getattr(user, "is_authenticated", False)
        and user.role == User.Role.HOSPITAL_STAFF
        and user.hospital_id is not None
    )


def user_is_clinician(user: User) -> bool:
    """A doctor or staff member of a hospital (not a platform admin: clinical data stays
    with the hospital)."""
    return user_is_doctor(user) or user_is_hospital_staff(user)


class IsPatient(BasePermission):
    """A patient's account (the mini-program's user)."""

    message = _("Only patients may do this.")

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = _user(request)
        return user is not None and user.role == User.Role.PATIENT


class IsDoctor(BasePermission):
    """A doctor of a hospital."""

    message = _("Only doctors may do this.")

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = _user(request)
        return user is not None and user_is_doctor(user)


class IsHospitalStaff(BasePermission):
    """A member of a hospital's staff (the desk, the clinic office)."""

    message = _("Only hospital staff may do this.")

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = _user(request)
        return user is not None and user_is_hospital_staff(user)


class IsClinician(BasePermission):
    """A doctor or staff member of a hospital: who may reach medical records."""

    message = _("Only doctors and hospital staff may do this.")

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = _user(request)
        return user is not None and user_is_clinician(user)


class IsClinicStaff(BasePermission):
    """Who works the clinic floor: a doctor or staff member of a hospital (their own
    hospital only, which the selectors enforce), a platform admin or a superuser."""

    message = _("Only hospital staff may see this.")

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = _user(request)
        if user is None:
            return False
        if user.sees_every_hospital:
            return True
        return user.role in User.HOSPITAL_ROLES and user.hospital_id is not None
