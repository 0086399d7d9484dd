"""Model versions: a file and a row each, exactly one active, activation through a service."""

import pytest
from django.db import IntegrityError, transaction

from analytics.models import NoShowModel
from analytics.noshow.services import noshow_model_activate, noshow_model_train_own
from common.errors import Conflict, DomainError
from common.models import OperationLog
from common.services import Actor
from tests.accounts.factories import UserFactory
from tests.analytics.noshow_helpers import TINY_GRID, generated_history

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("noshow_model_dir")]


def train(**kwargs) -> NoShowModel:
    return noshow_model_train_own(actor=Actor.system(), grid=TINY_GRID, **kwargs)


def test_each_training_stores_a_new_inactive_version_with_its_file(noshow_model_dir):
    # given
    generated_history(days=12, per_day=8, patients=10)
    trainer = UserFactory(is_staff=True)

    # when
    first = train()
    second = noshow_model_train_own(actor=Actor(user=trainer), grid=TINY_GRID)

    # then
    assert (first.version, second.version) == (1, 2)
    assert NoShowModel.objects.filter(is_active=True).exists() is False
    assert (noshow_model_dir / "noshow-v2.joblib").is_file()
    assert second.trained_by == trainer
    assert second.data_source == NoShowModel.Source.OWN
    assert second.threshold_medium <= second.threshold_high
    assert second.metrics["train_rows"] + second.metrics["test_rows"] == 96
    assert "age" not in second.fair_features
    assert OperationLog.objects.filter(action="noshow_model.trained").count() == 2


def test_activating_a_version_retires_the_previous_one():
    # given
    generated_history(days=12, per_day=8, patients=10)
    first = train(activate=True)
    second = train()

    # when
    noshow_model_activate(model=second, actor=Actor.system())

    # then
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.is_active, second.is_active) == (None, True)
    assert second.activated_at is not None
    assert list(
        OperationLog.objects.filter(action="noshow_model.activated")
        .order_by("id")
        .values_list("object_id", flat=True)
    ) == [str(first.pk), str(second.pk)]


def test_the_database_refuses_a_second_active_model():
    # given
    generated_history(days=12, per_day=8, patients=10)
    train(activate=True)
    second = train()

    # when / then
    with pytest.raises(IntegrityError), transaction.atomic():
        NoShowModel.objects.filter(pk=second.pk).update(is_active=True)


def test_a_model_from_another_data_source_cannot_score_bookings():
    # given
    generated_history(days=12, per_day=8, patients=10)
    model = train()
    NoShowModel.objects.filter(pk=model.pk).update(
        data_source=NoShowModel.Source.KAGGLE
    )
    model.refresh_from_db()

    # when
    with pytest.raises(DomainError) as excinfo:
        noshow_model_activate(model=model, actor=Actor.system())

    # then
    assert excinfo.value.code == "model_not_for_bookings"
    assert NoShowModel.objects.filter(is_active=True).exists() is False


def test_a_model_whose_file_changed_cannot_be_activated(noshow_model_dir):
    # given
    generated_history(days=12, per_day=8, patients=10)
    active = train(activate=True)
    model = train()
    (noshow_model_dir / model.file_name).write_bytes(b"not the model")

    # when
    with pytest.raises(Conflict) as excinfo:
        noshow_model_activate(model=model, actor=Actor.system())

    # then the active one stays active
    assert excinfo.value.code == "model_file_unusable"
    assert NoShowModel.objects.get(is_active=True) == active


def test_too_little_history_is_refused_with_a_clear_error():
    # given one day of bookings
    generated_history(days=1, per_day=4, patients=4)

    # when
    with pytest.raises(DomainError) as excinfo:
        train()

    # then
    assert excinfo.value.code == "not_enough_history"
    assert NoShowModel.objects.exists() is False
