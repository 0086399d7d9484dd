from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from accounts.roles import Role, role_grant
from analytics.action_labels import ACTION_LABELS
from analytics.periodic import PERIODIC_JOBS
from appointments.events import AppointmentBooked, AppointmentsBooked
from common.action_labels import action_labels_register
from common.events import Phase, subscribe
from common.periodic import periodic_jobs_register


class AnalyticsConfig(AppConfig):
    name = "analytics"
    verbose_name = _("Analytics")

    def ready(self) -> None:
        # The subscriber's task module imports models: importable only now.
        from analytics import tasks

        action_labels_register(ACTION_LABELS)
        periodic_jobs_register(*PERIODIC_JOBS, app=self.name)
        # The no-show model and imported history are the platform's, not a hospital's.
        role_grant(
            role=Role.PLATFORM_ADMIN,
            permissions=[
                "analytics.view_historyimport",
                "analytics.view_historyvisit",
                "analytics.view_noshowmodel",
                "analytics.change_noshowmodel",
            ],
        )
        # Each new booking gets its no-show risk, scored after the booking commits.
        subscribe(
            AppointmentBooked, tasks.appointment_booked_queue, when=Phase.ON_COMMIT
        )
        subscribe(
            AppointmentsBooked, tasks.appointments_booked_queue, when=Phase.ON_COMMIT
        )
