"""A stored tree (analytics.ml.tree_structure) as rules staff can read, in their language.

Each leaf is one rule: the conditions on the way to it, merged per feature ("提前预约天数
为 3–10"), and the calibrated risk of a booking that ends there. Counts and days read as
whole numbers, rates as percentages, yes/no features as 是/否 (and 未知 for unknown).
"""

import math
from dataclasses import dataclass

from django.utils.translation import gettext as _

from analytics.ml.features import BOOLEAN, LABELS, MISSING

WHOLE = {
    "age",
    "lead_days",
    "weekday",
    "visit_hour",
    "booked_hour",
    "prior_visits",
    "prior_no_shows",
    "prior_bookings",
    "same_day_bookings",
    "pending_bookings",
    "department_visits",
    "member_level",
    "handicap",
}
PERCENT = {"prior_no_show_share", "department_rate", "doctor_rate"}


@dataclass(frozen=True)
class Rule:
    conditions: list[str]
    risk: float
    samples: int
    node: int

    def __str__(self) -> str:
        when = _("; ").join(self.conditions) or _("every booking")
        return _("If %(conditions)s: no-show risk %(risk)s (%(samples)s bookings)") % {
            "conditions": when,
            "risk": f"{self.risk:.0%}",
            "samples": f"{self.samples:,}",
        }


def feature_label(name: str) -> str:
    return str(LABELS.get(name, name))


def _number(name: str, value: float) -> str:
    if name in PERCENT:
        return f"{value:.1%}"
    if name == "fee_yuan":
        return f"{value:.2f}"
    return f"{value:g}" if value == int(value) else f"{value:.1f}"


def condition_text(
    name: str, low: float | None, high: float | None, *, lowest: float = MISSING
) -> str:
    """The feature's range on a path: low < value <= high (either bound may be absent).

    `lowest`: the feature's lowest value in the training rows; "unknown" is only named
    for a yes/no feature that was sometimes unknown.
    """
    label = feature_label(name)
    if name in BOOLEAN:
        words = {MISSING: _("unknown"), 0.0: _("no"), 1.0: _("yes")}
        if lowest > MISSING:
            del words[MISSING]
        allowed = [
            word
            for value, word in words.items()
            if (low is None or value > low) and (high is None or value <= high)
        ]
        return _("%(feature)s: %(values)s") % {
            "feature": label,
            "values": _(" or ").join(allowed),
        }
    if name in WHOLE:
        first = None if low is None else math.floor(low) + 1
        last = None if high is None else math.floor(high)
        if first is not None and last is not None:
            if first == last:
                return _("%(feature)s = %(value)s") % {"feature": label, "value": first}
            return _("%(feature)s %(low)s–%(high)s") % {
                "feature": label,
                "low": first,
                "high": last,
            }
        if first is not None:
            return _("%(feature)s ≥ %(value)s") % {"feature": label, "value": first}
        return _("%(feature)s ≤ %(value)s") % {"feature": label, "value": last}
    if low is not None and high is not None:
        return _("%(low)s < %(feature)s ≤ %(high)s") % {
            "feature": label,
            "low": _number(name, low),
            "high": _number(name, high),
        }
    if low is not None:
        return _("%(feature)s > %(value)s") % {
            "feature": label,
            "value": _number(name, low),
        }
    return _("%(feature)s ≤ %(value)s") % {
        "feature": label,
        "value": _number(name, high),
    }


def split_text(name: str, threshold: float, *, lowest: float = MISSING) -> str:
    """A split node's question, as drawn: the left branch answers yes."""
    return condition_text(name, None, threshold, lowest=lowest)


def rules(structure: dict) -> list[Rule]:
    """Every leaf's rule, in the tree's order (left to right)."""
    nodes = {node["id"]: node for node in structure.get("nodes", [])}
    lowest = structure.get("lowest", {})
    if not nodes:
        return []
    found: list[Rule] = []

    def walk(
        node_id: int, bounds: dict[str, tuple[float | None, float | None]]
    ) -> None:
        node = nodes[node_id]
        if node["left"] == -1:
            found.append(
                Rule(
                    conditions=[
                        condition_text(n, lo, hi, lowest=lowest.get(n, MISSING))
                        for n, (lo, hi) in bounds.items()
                    ],
                    risk=node["risk"],
                    samples=node["samples"],
                    node=node_id,
                )
            )
            return
        name, threshold = node["feature"], node["threshold"]
        low, high = bounds.get(name, (None, None))
        left_high = threshold if high is None else min(high, threshold)
        right_low = threshold if low is None else max(low, threshold)
        walk(node["left"], {**bounds, name: (low, left_high)})
        walk(node["right"], {**bounds, name: (right_low, high)})

    walk(0, {})
    return found


def top_rules(
    structure: dict, *, limit: int = 5, min_share: float = 0.01
) -> list[Rule]:
    """The riskiest leaves holding at least `min_share` of the training rows."""
    every = rules(structure)
    if not every:
        return []
    total = structure["nodes"][0]["samples"]
    sizeable = [rule for rule in every if rule.samples >= min_share * total]
    return sorted(sizeable, key=lambda rule: (-rule.risk, -rule.samples))[:limit]
