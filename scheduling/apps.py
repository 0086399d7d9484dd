from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from accounts.roles import Role, role_grant
from common.action_labels import action_labels_register
from common.events import Phase, subscribe
from common.periodic import periodic_jobs_register
from hospitals.events import HospitalCreated
from scheduling.action_labels import ACTION_LABELS
from scheduling.periodic import PERIODIC_JOBS

# Hospital staff run their hospital's schedule: the booking rule (edited, never added or
# deleted: every hospital gets one when it is created), weekly templates, sessions and
# slots. Nothing is deleted: templates are deactivated, sessions stopped (停诊).
STAFF_PERMISSIONS = [
    "scheduling.view_bookingrule",
    "scheduling.change_bookingrule",
    "scheduling.view_scheduletemplate",
    "scheduling.add_scheduletemplate",
    "scheduling.change_scheduletemplate",
    "scheduling.view_clinicsession",
    "scheduling.add_clinicsession",
    "scheduling.change_clinicsession",
    "scheduling.view_slot",
    "scheduling.add_slot",
    "scheduling.change_slot",
]
# Doctors read the schedule (their weekly clinics, sessions and slots) and change nothing.
DOCTOR_PERMISSIONS = [
    "scheduling.view_scheduletemplate",
    "scheduling.view_clinicsession",
    "scheduling.view_slot",
]


class SchedulingConfig(AppConfig):
    name = "scheduling"
    verbose_name = _("Scheduling")

    def ready(self) -> None:
        # The subscribers are services, which import models: importable only now that
        # the app registry is ready.
        from scheduling.services import hospital_created_booking_rule

        action_labels_register(ACTION_LABELS)
        periodic_jobs_register(*PERIODIC_JOBS, app=self.name)
        role_grant(role=Role.HOSPITAL_STAFF, permissions=STAFF_PERMISSIONS)
        role_grant(role=Role.DOCTOR, permissions=DOCTOR_PERMISSIONS)
        subscribe(
            HospitalCreated, hospital_created_booking_rule, when=Phase.IN_TRANSACTION
        )
