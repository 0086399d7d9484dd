"""manage.py noshow_train [--data FILE --format kaggle-noshow|generic | --imported FORMAT]
[--test-from DAY] [--json] [--activate]

Trains the no-show trees (the model and the fair model without sex and age) on visits
before --test-from and measures them on the visits on or after it; stores the version
(model file + row). --imported FORMAT trains on the visits imported earlier with
`import_history --format FORMAT` (every import of that format). Without either it trains
on our own appointment history. Without --data, --test-from defaults to the start of the
last fifth of the visit days.

A new version is never active by itself: --activate makes it the one that scores new
bookings (or use the admin's "activate" action after looking at its metrics and rules).
Only a model trained on our own history can be activated.
"""

import datetime
import json
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from analytics.history.formats import FORMATS, FileError, parse
from analytics.history.visits import imported_visits, visit_from_row
from analytics.management.commands.import_history import GENERIC_HELP, file_error
from analytics.ml.rules import top_rules
from analytics.models import NoShowModel
from analytics.noshow.own_history import own_visits
from analytics.noshow.services import (
    default_test_from,
    noshow_model_activate,
    noshow_model_fit,
    noshow_model_store,
)
from common.errors import DomainError
from common.progress import ProgressBar
from common.services import Actor

JSON_KEYS = (
    "roc_auc",
    "pr_auc",
    "brier",
    "precision_at_high",
    "recall_at_high",
    "flagged_high_share",
    "no_show_rate",
    "train_rows",
    "test_rows",
    "validation_rows",
    "validation_roc_auc",
    "test_from",
    "params",
    "thresholds",
    "fair_roc_auc",
    "fair_pr_auc",
    "fair_brier",
    "fair_params",
    "features",
    "holiday_fallback_days",
)


def _day(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--test-from {value!r}: expected YYYY-MM-DD") from None


class Command(BaseCommand):
    help = (
        "Train and measure the no-show model on a time split. --data FILE --format "
        "kaggle-noshow|generic trains on a history file, --imported FORMAT on the visits "
        "imported in that format; without either, on our own appointments. "
        + GENERIC_HELP
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--data", default="", help="A history file (see --format).")
        parser.add_argument("--format", choices=FORMATS, default="")
        parser.add_argument(
            "--imported",
            choices=FORMATS,
            default="",
            help="Train on the visits imported with import_history in this format.",
        )
        parser.add_argument(
            "--test-from",
            default="",
            help="YYYY-MM-DD: train on visits before, measure on visits from this day.",
        )
        parser.add_argument(
            "--json", action="store_true", help="Print one JSON object."
        )
        parser.add_argument(
            "--activate",
            action="store_true",
            help="Make the new version active (own history only).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        data, fmt = options["data"], options["format"]
        test_from = _day(options["test_from"]) if options["test_from"] else None
        if data and options["imported"]:
            raise CommandError("--data and --imported: choose one")
        if (data or options["imported"]) and options["activate"]:
            raise CommandError(
                "--activate: only a model trained on our own appointments can score "
                "bookings"
            )
        if options["imported"]:
            source = options["imported"]
            visits, holidays = imported_visits(source), False
            if not visits:
                raise CommandError(
                    f"--imported {source}: no visits were imported in that format "
                    f"(import_history --format {source} FILE)"
                )
        elif data:
            if not fmt:
                raise CommandError("--data needs --format kaggle-noshow or generic")
            if test_from is None:
                raise CommandError("--data needs --test-from YYYY-MM-DD")
            visits, source, holidays = self._file_visits(data, fmt), fmt, False
        else:
            visits, source, holidays = own_visits(), NoShowModel.Source.OWN, True
        try:
            test_from = test_from or default_test_from(visits)
            bar = ProgressBar(self.stderr, unit="fits")
            trained = noshow_model_fit(
                visits=visits, test_from=test_from, holidays=holidays, progress=bar
            )
            bar.finish()
            actor = Actor.system()
            model = noshow_model_store(
                trained=trained,
                visits=visits,
                source=source,
                holidays=holidays,
                actor=actor,
            )
            if options["activate"]:
                model = noshow_model_activate(model=model, actor=actor)
        except DomainError as error:
            raise CommandError(str(error.message)) from None
        seconds = round(time.monotonic() - started, 1)
        self._report(model, seconds, as_json=options["json"])

    def _file_visits(self, data: str, fmt: str) -> list:
        if not Path(data).is_file():
            raise CommandError(f"{data}: no such file")
        bar = ProgressBar(self.stderr, unit="lines")
        try:
            parsed = parse(data, fmt, progress=bar)
        except FileError as error:
            bar.finish()
            raise file_error(error, outcome="Nothing was trained.") from None
        bar.finish()
        # The patient key stays in memory for counting; nothing from the file is stored.
        return [visit_from_row(row, patient=row.patient_key) for row in parsed.rows]

    def _report(self, model: NoShowModel, seconds: float, *, as_json: bool) -> None:
        metrics = model.metrics
        if as_json:
            body = {key: metrics.get(key) for key in JSON_KEYS}
            body |= {
                "version": model.version,
                "active": bool(model.is_active),
                "data_source": model.data_source,
                "seconds": seconds,
            }
            self.stdout.write(json.dumps(body, ensure_ascii=False))
            return
        self.stdout.write(
            f"Version {model.version} ({model.data_source}"
            f"{', active' if model.is_active else ', not active'}): "
            f"trained on {metrics['train_rows']} visits before {metrics['test_from']}, "
            f"tested on {metrics['test_rows']}: ROC AUC {metrics['roc_auc']}, "
            f"PR AUC {metrics['pr_auc']}, Brier {metrics['brier']}, "
            f"fair model ROC AUC {metrics['fair_roc_auc']}; {seconds} s."
        )
        for rule in top_rules(model.tree, limit=5):
            self.stdout.write(f"  {rule}")
