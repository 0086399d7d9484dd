"""Readable labels of the operation-log action codes the catalog services write."""

from django.utils.translation import gettext_lazy as _

ACTION_LABELS = {
    "hospital.create": _("Hospital added"),
    "hospital.update": _("Hospital changed"),
    "hospital.delete": _("Hospital deleted"),
    "department.create": _("Department added"),
    "department.update": _("Department changed"),
    "department.delete": _("Department deleted"),
    "doctor.create": _("Doctor added"),
    "doctor.update": _("Doctor changed"),
    "doctor.delete": _("Doctor deleted"),
    "room.create": _("Consulting room added"),
    "room.update": _("Consulting room changed"),
    "room.delete": _("Consulting room deleted"),
}
