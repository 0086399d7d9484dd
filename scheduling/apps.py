from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from common.action_labels import action_labels_register
from scheduling.action_labels import ACTION_LABELS

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
        action_labels_register(ACTION_LABELS)
        from django.contrib.auth import get_user_model

        from accounts.roles import role_grant
        from common.events import Phase, subscribe
        from common.periodic import periodic_jobs_register
        from hospitals.events import HospitalCreated
        from scheduling.periodic import PERIODIC_JOBS
        from scheduling.services import hospital_created_booking_rule

        # Imported here, not at the top: models and services need the app registry ready.
        roles = get_user_model().Role
        role_grant(role=roles.HOSPITAL_STAFF, permissions=STAFF_PERMISSIONS)
        role_grant(role=roles.DOCTOR, permissions=DOCTOR_PERMISSIONS)
        subscribe(
            HospitalCreated, hospital_created_booking_rule, when=Phase.IN_TRANSACTION
        )
        periodic_jobs_register(*PERIODIC_JOBS, app=self.name)
