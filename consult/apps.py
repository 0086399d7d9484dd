from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from common.action_labels import action_labels_register
from common.events import Phase, subscribe
from common.periodic import periodic_jobs_register
from consult.action_labels import ACTION_LABELS
from consult.events import (
    ConsultMessageRecalled,
    ConsultMessageSent,
    ConsultStatusChanged,
)
from consult.periodic import PERIODIC_JOBS


class ConsultConfig(AppConfig):
    name = "consult"
    verbose_name = _("Online consultation")

    def ready(self) -> None:
        from common.encrypted import register
        from consult import models, realtime

        action_labels_register(ACTION_LABELS)
        periodic_jobs_register(*PERIODIC_JOBS, app=self.name)
        register(models.Consult)
        register(models.ConsultMessage)
        # The live frames leave after commit (consult/realtime.py), whichever path wrote.
        subscribe(
            ConsultMessageSent, realtime.message_sent_publish, when=Phase.ON_COMMIT
        )
        subscribe(
            ConsultMessageRecalled,
            realtime.message_recalled_publish,
            when=Phase.ON_COMMIT,
        )
        subscribe(
            ConsultStatusChanged, realtime.status_changed_publish, when=Phase.ON_COMMIT
        )
