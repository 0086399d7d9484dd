from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from analytics.periodic import PERIODIC_JOBS
from appointments.events import AppointmentBooked
from common.events import Phase, subscribe
from common.periodic import periodic_jobs_register


class AnalyticsConfig(AppConfig):
    name = "analytics"
    verbose_name = _("Analytics")

    def ready(self) -> None:
        # The subscriber's task module imports models: importable only now.
        from analytics import tasks

        periodic_jobs_register(*PERIODIC_JOBS, app=self.name)
        # Each new booking gets its no-show risk, scored after the booking commits.
        subscribe(
            AppointmentBooked, tasks.appointment_booked_queue, when=Phase.ON_COMMIT
        )
