"""Writes of the no-show model: a trained version (file + row) and its activation."""

import datetime
from collections.abc import Callable, Sequence

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from analytics.ml.artifact import ModelFileError, write
from analytics.ml.training import Grid, NotEnoughData, Trained, split_days, train
from analytics.ml.tree_structure import tree_structure
from analytics.ml.visits import Visit
from analytics.models import NoShowModel
from analytics.noshow.errors import ErrorCode
from analytics.noshow.own_history import own_visits
from analytics.noshow.store import model_dir, model_load
from common.errors import Conflict, DomainError
from common.services import Actor, operation_log_write

TEST_SHARE = 0.2  # own history without --test-from: its last fifth of visit days


def default_test_from(visits: Sequence[Visit]) -> datetime.date:
    days = [v.visit_date for v in visits if v.no_show is not None]
    try:
        return split_days(days, TEST_SHARE)
    except NotEnoughData as error:
        raise DomainError(ErrorCode.NOT_ENOUGH_HISTORY, str(error)) from None


def noshow_model_fit(
    *,
    visits: Sequence[Visit],
    test_from: datetime.date,
    holidays: bool,
    grid: Grid | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Trained:
    """Fit without storing anything (the command's dry measurement uses it too)."""
    try:
        return train(
            visits, test_from=test_from, holidays=holidays, grid=grid, progress=progress
        )
    except NotEnoughData as error:
        raise DomainError(ErrorCode.NOT_ENOUGH_HISTORY, str(error)) from None


def noshow_model_store(
    *,
    trained: Trained,
    visits: Sequence[Visit],
    source: str,
    holidays: bool,
    actor: Actor,
) -> NoShowModel:
    """Write the model file and its row (inactive), with an operation-log row."""
    days = [v.visit_date for v in visits if v.no_show is not None]
    version = (NoShowModel.objects.aggregate(last=Max("version"))["last"] or 0) + 1
    name, sha256 = write(
        trained, folder=model_dir(), version=version, holidays=holidays
    )
    metrics = trained.metrics
    with transaction.atomic():
        model = NoShowModel(
            version=version,
            data_source=source,
            data_from=min(days),
            data_to=max(days),
            test_from=datetime.date.fromisoformat(metrics["test_from"]),
            params={
                "main": trained.main.params,
                "fair": trained.fair.params,
                "holidays": holidays,
            },
            metrics=metrics,
            threshold_medium=trained.thresholds["medium"],
            threshold_high=trained.thresholds["high"],
            features=trained.main.names,
            fair_features=trained.fair.names,
            tree=tree_structure(trained.main),
            fair_tree=tree_structure(trained.fair),
            file_name=name,
            file_sha256=sha256,
            trained_at=timezone.now(),
            trained_by=actor.user,
        )
        model.full_clean()
        model.save()
        operation_log_write(
            actor=actor,
            action="noshow_model.trained",
            obj=model,
            summary=f"v{version} {source} roc_auc={metrics.get('roc_auc')}",
        )
    return model


@transaction.atomic
def noshow_model_activate(*, model: NoShowModel, actor: Actor) -> NoShowModel:
    """Make `model` the one that scores new bookings; the previous one steps down.

    Only a model trained on our own appointments can score them: the public data set's
    columns are not our bookings' fields. The file is checked (SHA-256) before the switch.
    """
    if model.data_source != NoShowModel.Source.OWN:
        raise DomainError(
            ErrorCode.MODEL_NOT_FOR_BOOKINGS,
            _("Only a model trained on our own appointments can score bookings."),
        )
    try:
        model_load(file_name=model.file_name, file_sha256=model.file_sha256)
    except ModelFileError as error:
        raise Conflict(
            ErrorCode.MODEL_FILE_UNUSABLE,
            _("The model file cannot be used: %(reason)s") % {"reason": error},
        ) from None
    # Clear the old one first: the unique key on is_active allows one True at any moment.
    NoShowModel.objects.filter(is_active=True).exclude(pk=model.pk).update(
        is_active=None
    )
    now = timezone.now()
    NoShowModel.objects.filter(pk=model.pk).update(is_active=True, activated_at=now)
    model.is_active, model.activated_at = True, now
    operation_log_write(
        actor=actor,
        action="noshow_model.activated",
        obj=model,
        summary=f"v{model.version}",
    )
    return model


def noshow_model_train_own(
    *,
    actor: Actor,
    test_from: datetime.date | None = None,
    activate: bool = False,
    grid: Grid | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> NoShowModel:
    """Train on our own appointments (public holidays from the Chinese calendar), store
    the version and, if asked, make it the active one."""
    visits = own_visits()
    trained = noshow_model_fit(
        visits=visits,
        test_from=test_from or default_test_from(visits),
        holidays=True,
        grid=grid,
        progress=progress,
    )
    model = noshow_model_store(
        trained=trained,
        visits=visits,
        source=NoShowModel.Source.OWN,
        holidays=True,
        actor=actor,
    )
    if activate:
        model = noshow_model_activate(model=model, actor=actor)
    return model
