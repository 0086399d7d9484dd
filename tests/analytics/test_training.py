"""The trees: time split, calibration on later days, the fair model, thresholds."""

import datetime
import random
import zoneinfo

import numpy as np
import pytest

from analytics.ml.features import PROTECTED
from analytics.ml.holidays import day_off
from analytics.ml.training import Grid, NotEnoughData, band, train
from analytics.ml.visits import Visit

ZONE = zoneinfo.ZoneInfo("Asia/Shanghai")
GRID = Grid(depths=(2, 3), leaves=(5,), class_weights=(None, "balanced"))
START = datetime.date(2026, 4, 1)


def synthetic(count: int = 400, seed: int = 1) -> list[Visit]:
    """Long lead times and young patients miss more; 40 visit days from START."""
    rng = random.Random(seed)
    visits = []
    for number in range(count):
        day = START + datetime.timedelta(days=rng.randrange(40))
        lead = rng.randrange(15)
        booked = datetime.datetime.combine(
            day - datetime.timedelta(days=lead), datetime.time(9), tzinfo=ZONE
        ) + datetime.timedelta(minutes=number)
        age = rng.randrange(1, 90)
        chance = 0.05 + (0.4 if lead > 7 else 0) + (0.2 if age < 30 else 0)
        visits.append(
            Visit(
                patient=f"p{rng.randrange(80)}",
                booked_at=booked,
                booked_on=booked.date(),
                visit_date=day,
                sex=rng.choice("FM"),
                age=age,
                department=rng.choice("ab"),
                booked_hour=9,
                reminder=rng.random() < 0.5,
                no_show=rng.random() < chance,
            )
        )
    return visits


def test_training_learns_a_real_pattern_on_a_time_split():
    # given
    visits = synthetic()
    test_from = START + datetime.timedelta(days=32)

    # when
    trained = train(visits, test_from=test_from, holidays=False, grid=GRID)

    # then
    metrics = trained.metrics
    assert metrics["train_rows"] == sum(v.visit_date < test_from for v in visits)
    assert metrics["test_rows"] == sum(v.visit_date >= test_from for v in visits)
    assert metrics["fit_rows"] + metrics["validation_rows"] == metrics["train_rows"]
    # validation days come after the fit days and before the test days
    valid_from = datetime.date.fromisoformat(metrics["validation_from"])
    assert START < valid_from < test_from
    assert metrics["roc_auc"] > 0.7
    assert 0 < metrics["brier"] < 0.25
    assert metrics["params"] in list(GRID.params())
    assert "lead_days" in metrics["features"]


def test_the_fair_model_never_sees_sex_or_age():
    # when
    trained = train(
        synthetic(),
        test_from=START + datetime.timedelta(days=32),
        holidays=False,
        grid=GRID,
    )

    # then
    assert {"age", "sex_female"} <= set(trained.main.names)
    assert not set(PROTECTED) & set(trained.fair.names)
    assert trained.metrics["fair_roc_auc"] is not None


def test_risks_are_calibrated_probabilities_that_keep_the_tree_order():
    # given
    trained = train(
        synthetic(),
        test_from=START + datetime.timedelta(days=32),
        holidays=False,
        grid=GRID,
    )
    leaves = trained.main.tree.tree_
    raw = np.sort(np.unique(leaves.value[:, 0, 1] / leaves.value[:, 0, :].sum(axis=1)))

    # when
    calibrated = trained.main.calibrator.predict(raw)

    # then isotonic: never decreasing, within 0..1
    assert np.all(np.diff(calibrated) >= 0)
    assert calibrated.min() >= 0
    assert calibrated.max() <= 1


def test_bands_follow_the_thresholds():
    thresholds = {"medium": 0.2, "high": 0.4}

    assert [band(r, thresholds) for r in (0.1, 0.2, 0.39, 0.4, 0.9)] == [
        "low",
        "medium",
        "medium",
        "high",
        "high",
    ]


def test_training_without_any_no_show_is_refused():
    # given
    visits = [v.__class__(**{**v.__dict__, "no_show": False}) for v in synthetic(60)]

    # when / then
    with pytest.raises(NotEnoughData):
        train(
            visits,
            test_from=START + datetime.timedelta(days=32),
            holidays=False,
            grid=GRID,
        )


def test_holidays_come_from_the_calendar_and_say_when_they_are_guessed():
    # National Day is a holiday; a make-up working Saturday is a working day
    assert day_off(datetime.date(2025, 10, 1)).holiday is True
    assert day_off(datetime.date(2025, 10, 11)).off is False
    assert day_off(datetime.date(2025, 10, 11)).known is True
    # far outside the calendar's years: weekends only, and marked as a guess
    far = day_off(datetime.date(2099, 10, 1))
    assert (far.off, far.holiday, far.known) == (False, False, False)
