from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from appointments.action_labels import ACTION_LABELS
from common.action_labels import action_labels_register


class AppointmentsConfig(AppConfig):
    name = "appointments"
    verbose_name = _("Appointments")

    def ready(self) -> None:
        # These import models, which load only once the app registry is ready.
        from accounts.events import PatientProfileDeleting
        from accounts.models import User
        from accounts.roles import role_grant
        from appointments.periodic import PERIODIC_JOBS
        from appointments.subscribers import patient_profile_deleting
        from common.periodic import periodic_jobs_register

        # The desk sees and checks in its hospital's patients (check-in, completing and
        # cancelling are the admin's change actions); doctors see their hospital's list.
        role_grant(
            role=User.Role.HOSPITAL_STAFF,
            permissions=[
                "appointments.view_appointment",
                "appointments.change_appointment",
                "appointments.view_waitlistentry",
            ],
        )
        role_grant(role=User.Role.DOCTOR, permissions=["appointments.view_appointment"])
        action_labels_register(ACTION_LABELS)
        periodic_jobs_register(*PERIODIC_JOBS, app=self.name)

        from appointments.services.waitlist import waitlist_offer_added_seats
        from common.events import Phase, subscribe
        from scheduling.events import SeatsAdded

        # 加号 in the schedule: the waitlist gets the new seats in the same transaction.
        subscribe(SeatsAdded, waitlist_offer_added_seats, when=Phase.IN_TRANSACTION)

        # A patient profile is deleted only without upcoming bookings; its waitlist closes.
        subscribe(
            PatientProfileDeleting, patient_profile_deleting, when=Phase.IN_TRANSACTION
        )
