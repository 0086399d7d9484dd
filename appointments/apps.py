from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from accounts.events import PatientAccountChanged, PatientProfileDeleting
from accounts.roles import Role, role_grant
from appointments.action_labels import ACTION_LABELS
from appointments.events import NotificationCreated
from appointments.periodic import PERIODIC_JOBS
from common.action_labels import action_labels_register
from common.events import Phase, subscribe
from common.health import health_check_register
from common.metrics import scrape_metrics_register
from common.periodic import periodic_jobs_register
from scheduling.events import ReleaseQueueChanged, SeatsAdded


class AppointmentsConfig(AppConfig):
    name = "appointments"
    verbose_name = _("Appointments")

    def ready(self) -> None:
        # The subscribers are services, which import models: importable only now that
        # the app registry is ready.
        from appointments import tasks
        from appointments.metrics import booking_queue_metrics, outbox_metrics
        from appointments.services.waitlist import waitlist_offer_added_seats
        from appointments.stock.client import stock_status
        from appointments.subscribers import (
            patient_account_changed_stock,
            patient_profile_deleting,
            release_queue_changed_stock,
            seats_added_release_queue,
            seats_added_stock,
        )

        action_labels_register(ACTION_LABELS)
        # "booking": the seat stock in use ("ok"), Redis failing ("fallback": bookings
        # take the database path) or off ("not_configured").
        health_check_register("booking", stock_status)
        periodic_jobs_register(*PERIODIC_JOBS, app=self.name)
        # Read at scrape time (appointments/metrics.py): the writer's and the outbox's backlog.
        scrape_metrics_register("booking_tickets", booking_queue_metrics)
        scrape_metrics_register("notifications_outbox", outbox_metrics)

        # The desk sees and checks in its hospital's patients (check-in, completing and
        # cancelling are the admin's change actions); doctors see their hospital's list.
        role_grant(
            role=Role.HOSPITAL_STAFF,
            permissions=[
                "appointments.view_appointment",
                "appointments.change_appointment",
                "appointments.view_waitlistentry",
                # the seats held for stopped patients (read-only)
                "appointments.view_rebookingoffer",
                # doctors' stop and leave requests: approved or rejected by an action
                "appointments.view_sessionstoprequest",
                "appointments.change_sessionstoprequest",
                # the no-show ledger: records seen, appeals decided, the rules edited
                "appointments.view_ledgerentry",
                "appointments.view_ledgerappeal",
                "appointments.change_ledgerappeal",
                "appointments.view_ledgerrule",
                "appointments.add_ledgerrule",
                "appointments.change_ledgerrule",
            ],
        )
        role_grant(role=Role.DOCTOR, permissions=["appointments.view_appointment"])
        # 加号 in the schedule: the waitlist gets the new seats in the same transaction.
        subscribe(SeatsAdded, waitlist_offer_added_seats, when=Phase.IN_TRANSACTION)
        # The seat stock (Redis pre-deduction) mirrors added seats and forgets what it
        # kept of a user whose profiles or level changed.
        subscribe(SeatsAdded, seats_added_stock, when=Phase.IN_TRANSACTION)
        # The release queue (排队放号): the stock's gate follows the session's mark, and
        # a queue counts seats added to its session.
        subscribe(
            ReleaseQueueChanged, release_queue_changed_stock, when=Phase.IN_TRANSACTION
        )
        subscribe(SeatsAdded, seats_added_release_queue, when=Phase.IN_TRANSACTION)
        subscribe(
            PatientAccountChanged, patient_account_changed_stock, when=Phase.ON_COMMIT
        )

        # A patient profile is deleted only without upcoming bookings; its waitlist closes.
        subscribe(
            PatientProfileDeleting, patient_profile_deleting, when=Phase.IN_TRANSACTION
        )
        # Each notification's delivery is queued after commit by appointments' own task.
        subscribe(
            NotificationCreated, tasks.notification_created_queue, when=Phase.ON_COMMIT
        )
