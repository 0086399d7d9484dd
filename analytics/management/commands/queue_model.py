"""manage.py queue_model: the M/M/c queue (Erlang C) for given rates, and staffing advice."""

import json

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from analytics.queueing import queue_metrics, servers_needed
from common.errors import DomainError


def _number(text: str) -> float | int:
    """A whole number stays an int, anything else a float ("nan" included): the model
    says what is wrong with it, so the command and the admin page give the same reason."""
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        raise CommandError(_("Not a number: %(text)r") % {"text": text}) from None


class Command(BaseCommand):
    help = (
        "The M/M/c queue of a clinic (Erlang C): utilisation, probability of waiting, "
        "Lq, Wq, L, W from the arrival rate and the service rate per doctor (per hour)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--arrival-rate", required=True, type=str, help="λ: patients per hour"
        )
        parser.add_argument(
            "--service-rate",
            required=True,
            type=str,
            help="μ: patients per hour one doctor sees",
        )
        parser.add_argument("--servers", required=True, type=str, help="c: doctors")
        parser.add_argument(
            "--json", action="store_true", help="print one JSON object (hours)"
        )
        parser.add_argument(
            "--target-wait-minutes",
            type=str,
            default=None,
            help="also answer the fewest doctors for this mean wait",
        )
        parser.add_argument(
            "--target-p-wait",
            type=str,
            default=None,
            help="also answer the fewest doctors for this probability of waiting",
        )

    def handle(self, *args, **options) -> None:
        arrival_rate = _number(options["arrival_rate"])
        service_rate = _number(options["service_rate"])
        servers = _number(options["servers"])
        target_wait = options["target_wait_minutes"]
        target_p = options["target_p_wait"]
        try:
            metrics = queue_metrics(
                arrival_rate=arrival_rate, service_rate=service_rate, servers=servers
            )
            needed = None
            if target_wait is not None or target_p is not None:
                needed = servers_needed(
                    arrival_rate=arrival_rate,
                    service_rate=service_rate,
                    target_wait_hours=(
                        None if target_wait is None else _number(target_wait) / 60
                    ),
                    target_p_wait=None if target_p is None else _number(target_p),
                )
        except DomainError as error:
            raise CommandError(f"{error.code}: {error.message}") from None

        if options["json"]:
            body = metrics.as_json()
            if needed is not None:
                body["servers_needed"] = needed
            self.stdout.write(json.dumps(body))
            return
        rows = [
            (_("Utilisation ρ"), f"{metrics.rho:.4f}"),
            (_("Probability of waiting"), f"{metrics.p_wait:.4f}"),
            (_("Mean number waiting (Lq)"), f"{metrics.lq:.4f}"),
            (_("Mean wait (Wq)"), _("%(m).2f min") % {"m": metrics.wq * 60}),
            (_("Mean number in clinic (L)"), f"{metrics.l:.4f}"),
            (_("Mean time in clinic (W)"), _("%(m).2f min") % {"m": metrics.w * 60}),
        ]
        if needed is not None:
            rows.append((_("Doctors needed for the target"), str(needed)))
        width = max(len(label) for label, _value in rows)
        for label, value in rows:
            self.stdout.write(f"{label:<{width}}  {value}")
