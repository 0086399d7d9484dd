from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from billing.action_labels import ACTION_LABELS
from common.action_labels import action_labels_register


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = _("Payments")

    def ready(self) -> None:
        # These import models, which load only once the app registry is ready.
        from accounts.models import User
        from accounts.roles import role_grant
        from billing.periodic import PERIODIC_JOBS
        from common.periodic import periodic_jobs_register

        # The desk sees its hospital's payments and refunds, and sends a failed refund
        # again (the refund list's retry action needs the change permission; every
        # refund page stays read-only).
        role_grant(
            role=User.Role.HOSPITAL_STAFF,
            permissions=[
                "billing.view_paymentorder",
                "billing.view_refund",
                "billing.change_refund",
                "billing.view_paymentledgerentry",
            ],
        )
        action_labels_register(ACTION_LABELS)
        periodic_jobs_register(*PERIODIC_JOBS, app=self.name)

        from appointments.events import AppointmentCancelled
        from billing.services.cancellations import appointment_cancelled_settle
        from common.events import Phase, subscribe

        # A cancelled paid booking is refunded in the cancelling transaction (the refund
        # is sent to the channel after commit); an unpaid one has its open orders closed.
        subscribe(
            AppointmentCancelled,
            appointment_cancelled_settle,
            when=Phase.IN_TRANSACTION,
        )
