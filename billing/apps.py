from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from accounts.roles import Role, role_grant
from appointments.events import AppointmentCancelled, AppointmentRescheduled
from billing.action_labels import ACTION_LABELS
from billing.events import OrderToSettle, RefundToSend
from billing.periodic import PERIODIC_JOBS
from common.action_labels import action_labels_register
from common.events import Phase, subscribe
from common.periodic import periodic_jobs_register


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = _("Payments")

    def ready(self) -> None:
        # The subscribers are services, which import models: importable only now that
        # the app registry is ready.
        from billing import tasks
        from billing.services.cancellations import appointment_cancelled_settle
        from billing.services.reschedules import appointment_rescheduled_settle

        action_labels_register(ACTION_LABELS)
        periodic_jobs_register(*PERIODIC_JOBS, app=self.name)
        # The desk sees its hospital's payments and refunds, and sends a failed refund
        # again (the refund list's retry action needs the change permission; every
        # refund page stays read-only).
        role_grant(
            role=Role.HOSPITAL_STAFF,
            permissions=[
                "billing.view_paymentorder",
                "billing.view_refund",
                "billing.change_refund",
                "billing.view_paymentledgerentry",
                "billing.view_paymentalert",
            ],
        )
        # A cancelled paid booking is refunded in the cancelling transaction (the refund
        # is sent to the channel after commit); an unpaid one has its open orders closed.
        subscribe(
            AppointmentCancelled,
            appointment_cancelled_settle,
            when=Phase.IN_TRANSACTION,
        )
        # A booking moved to another slot (改约): a cheaper one refunds the difference in
        # the rescheduling transaction; an unpaid hold has its old-fee orders closed.
        subscribe(
            AppointmentRescheduled,
            appointment_rescheduled_settle,
            when=Phase.IN_TRANSACTION,
        )
        # Follow-up work for the channels is queued after commit by billing's own tasks,
        # so the services never import the task module.
        subscribe(RefundToSend, tasks.refund_to_send_queue, when=Phase.ON_COMMIT)
        subscribe(OrderToSettle, tasks.order_to_settle_queue, when=Phase.ON_COMMIT)
