"""Fit the no-show trees: time-based validation, calibration, thresholds and metrics.

Rows are split by visit day, never at random: the model is judged on days after the
ones it learnt from, as it will be used.

- training period (visit day before `test_from`): its earlier days fit the tree, its last
  `valid_fraction` of days choose the depth, leaf size and class weights (by ROC AUC) and
  then fit the isotonic calibration and the band thresholds, so the calibration never sees
  the rows the tree was fitted on;
- test period (visit day on or after `test_from`): only measured.
The same is done for the fair model, which never sees sex or age.
"""

import datetime
import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from sklearn.isotonic import IsotonicRegression
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score
from sklearn.tree import DecisionTreeClassifier

from analytics.ml.features import PROTECTED, feature_row, informative_names
from analytics.ml.holidays import day_off
from analytics.ml.visits import HistoryCounts, Visit, history_counts


@dataclass(frozen=True)
class Grid:
    depths: tuple[int, ...] = (4, 5, 6, 7, 8, 10)
    leaves: tuple[int, ...] = (25, 50, 100, 200, 400)
    class_weights: tuple[str | None, ...] = (None, "balanced")

    def params(self):
        for depth, leaf, weight in itertools.product(
            self.depths, self.leaves, self.class_weights
        ):
            yield {"max_depth": depth, "min_samples_leaf": leaf, "class_weight": weight}

    @property
    def size(self) -> int:
        return len(self.depths) * len(self.leaves) * len(self.class_weights)


class NotEnoughData(ValueError):
    pass


@dataclass
class RiskTree:
    """A fitted tree and its calibration: the part of a model file that scores."""

    tree: DecisionTreeClassifier
    calibrator: IsotonicRegression
    names: list[str]
    params: dict
    validation_auc: float | None
    lowest: dict[str, float] = field(
        default_factory=dict
    )  # per feature, in the fit rows

    def risk(self, rows: Sequence[dict[str, float]]) -> np.ndarray:
        matrix = np.array(
            [[row[name] for name in self.names] for row in rows], dtype=float
        )
        raw = self.tree.predict_proba(matrix)[:, list(self.tree.classes_).index(1)]
        return np.clip(self.calibrator.predict(raw), 0.0, 1.0)


@dataclass
class Trained:
    main: RiskTree
    fair: RiskTree
    thresholds: dict[str, float]  # band lower bounds: medium, high
    metrics: dict = field(default_factory=dict)


def _auc(labels: np.ndarray, scores: np.ndarray) -> float | None:
    if len(set(labels.tolist())) < 2:
        return None
    return float(roc_auc_score(labels, scores))


def _fit_tree(matrix, labels, params) -> DecisionTreeClassifier:
    tree = DecisionTreeClassifier(random_state=0, **params)
    tree.fit(matrix, labels)
    return tree


def _positive(tree: DecisionTreeClassifier, matrix) -> np.ndarray:
    if 1 not in tree.classes_:
        return np.zeros(len(matrix))
    return tree.predict_proba(matrix)[:, list(tree.classes_).index(1)]


def _fit_risk_tree(rows, labels, fit, valid, names, grid, tick) -> RiskTree:
    matrix = np.array([[row[name] for name in names] for row in rows], dtype=float)
    best: tuple[float, dict] | None = None
    for params in grid.params():
        tree = _fit_tree(matrix[fit], labels[fit], params)
        auc = _auc(labels[valid], _positive(tree, matrix[valid]))
        tick()
        score = -1.0 if auc is None else auc
        if best is None or score > best[0]:
            best = (score, params)
    assert best is not None
    params = best[1]
    tree = _fit_tree(matrix[fit], labels[fit], params)
    calibrator = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip")
    calibrator.fit(_positive(tree, matrix[valid]), labels[valid])
    return RiskTree(
        tree=tree,
        calibrator=calibrator,
        names=list(names),
        params=params,
        validation_auc=None if best[0] < 0 else round(best[0], 4),
        lowest={name: float(matrix[fit][:, i].min()) for i, name in enumerate(names)},
    )


def choose_thresholds(labels: np.ndarray, risk: np.ndarray, base_rate: float) -> dict:
    """High: the risk that maximises F1 on the validation days; medium: the base rate."""
    best_f1, high = -1.0, 1.0
    for candidate in sorted(set(np.round(risk, 4).tolist())):
        flagged = risk >= candidate
        true_pos = int((flagged & (labels == 1)).sum())
        if not true_pos:
            continue
        precision = true_pos / int(flagged.sum())
        recall = true_pos / int((labels == 1).sum())
        f1 = 2 * precision * recall / (precision + recall)
        if f1 > best_f1:
            best_f1, high = f1, candidate
    medium = round(base_rate, 4)
    if medium >= high:  # a weak model: keep three bands, medium below high
        medium = round(high * 0.75, 4)
    return {"medium": medium, "high": round(high, 4)}


def band(risk: float, thresholds: dict[str, float]) -> str:
    if risk >= thresholds["high"]:
        return "high"
    if risk >= thresholds["medium"]:
        return "medium"
    return "low"


def _measure(labels: np.ndarray, risk: np.ndarray, high: float) -> dict:
    if not len(labels):
        return {"roc_auc": None, "pr_auc": None, "brier": None}
    flagged = risk >= high
    true_pos = int((flagged & (labels == 1)).sum())
    positives = int((labels == 1).sum())
    return {
        "roc_auc": None if (auc := _auc(labels, risk)) is None else round(auc, 4),
        "pr_auc": round(float(average_precision_score(labels, risk)), 4)
        if positives
        else None,
        "brier": round(float(brier_score_loss(labels, risk)), 4),
        "precision_at_high": round(true_pos / int(flagged.sum()), 4)
        if flagged.any()
        else None,
        "recall_at_high": round(true_pos / positives, 4) if positives else None,
        "flagged_high_share": round(float(flagged.mean()), 4),
        "no_show_rate": round(positives / len(labels), 4),
    }


def split_days(days: Sequence[datetime.date], valid_fraction: float) -> datetime.date:
    """The first validation day: the last `valid_fraction` of the distinct days."""
    distinct = sorted(set(days))
    if len(distinct) < 2:
        raise NotEnoughData("the training period needs at least two visit days")
    cut = min(len(distinct) - 1, max(1, round(len(distinct) * (1 - valid_fraction))))
    return distinct[cut]


def train(
    visits: Sequence[Visit],
    *,
    test_from: datetime.date,
    holidays: bool,
    grid: Grid | None = None,
    valid_fraction: float = 0.2,
    progress: Callable[[int, int], None] | None = None,
) -> Trained:
    """Fit on visits before `test_from`, measure on the rest.

    `visits` may hold rows with an unknown outcome: they count as bookings in the history
    features and are neither trained on nor measured.
    """
    grid = grid or Grid()
    counts: list[HistoryCounts] = history_counts(visits)
    labelled = [i for i, v in enumerate(visits) if v.no_show is not None]
    rows = [feature_row(visits[i], counts[i], holidays=holidays) for i in labelled]
    labels = np.array([int(bool(visits[i].no_show)) for i in labelled])
    days = [visits[i].visit_date for i in labelled]
    train_mask = np.array([day < test_from for day in days], dtype=bool)
    if len(set(labels[train_mask].tolist())) < 2:
        raise NotEnoughData(
            "the training period needs both attended visits and no-shows"
        )
    valid_from = split_days(
        [d for d, t in zip(days, train_mask, strict=True) if t], valid_fraction
    )
    fit = train_mask & np.array([day < valid_from for day in days])
    valid = train_mask & ~fit
    names = informative_names(
        [row for row, t in zip(rows, train_mask, strict=True) if t]
    )
    fair_names = [name for name in names if name not in PROTECTED]

    total, done = 2 * grid.size, 0

    def tick() -> None:
        nonlocal done
        done += 1
        if progress:
            progress(done, total)

    main = _fit_risk_tree(rows, labels, fit, valid, names, grid, tick)
    fair = _fit_risk_tree(rows, labels, fit, valid, fair_names, grid, tick)
    base_rate = float(labels[fit].mean())
    thresholds = choose_thresholds(
        labels[valid], main.risk([rows[i] for i in np.flatnonzero(valid)]), base_rate
    )
    test = ~train_mask
    test_rows = [rows[i] for i in np.flatnonzero(test)]
    main_metrics = _measure(
        labels[test],
        main.risk(test_rows) if test_rows else np.array([]),
        thresholds["high"],
    )
    fair_metrics = _measure(
        labels[test],
        fair.risk(test_rows) if test_rows else np.array([]),
        thresholds["high"],
    )
    holiday_fallback = (
        sum(1 for v in visits if not day_off(v.visit_date).known) if holidays else 0
    )
    metrics = {
        **main_metrics,
        "train_rows": int(train_mask.sum()),
        "test_rows": int(test.sum()),
        "fit_rows": int(fit.sum()),
        "validation_rows": int(valid.sum()),
        "validation_from": valid_from.isoformat(),
        "test_from": test_from.isoformat(),
        "validation_roc_auc": main.validation_auc,
        "params": main.params,
        "fair_params": fair.params,
        "fair_roc_auc": fair_metrics["roc_auc"],
        "fair_pr_auc": fair_metrics["pr_auc"],
        "fair_brier": fair_metrics["brier"],
        "thresholds": thresholds,
        "features": names,
        "holiday_fallback_days": holiday_fallback,
    }
    return Trained(main=main, fair=fair, thresholds=thresholds, metrics=metrics)
