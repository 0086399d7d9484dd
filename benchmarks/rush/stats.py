"""Percentiles and medians of the benchmark's figures."""

import math
import statistics
from collections.abc import Sequence
from typing import Any


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """Nearest-rank percentile (`fraction` in (0, 1]); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 1)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def median_of_runs(runs: Sequence[Any]) -> Any:
    """The median of each figure over the runs' reports (dicts of the same shape).

    Dicts are merged key by key (a key missing from a run is left out of that key's
    median); numbers give their median over the runs that have one (None when none has);
    any other value is kept when every run agrees, else None.
    """
    if not runs:
        return None
    if all(isinstance(run, dict) for run in runs):
        keys: dict[str, None] = {}
        for run in runs:
            keys.update(dict.fromkeys(run))
        return {
            key: median_of_runs([run[key] for run in runs if key in run])
            for key in keys
        }
    numbers = [value for value in runs if _is_number(value)]
    if numbers and all(_is_number(value) or value is None for value in runs):
        middle = statistics.median(numbers)
        if all(isinstance(n, int) for n in numbers) and float(middle).is_integer():
            return int(middle)  # counts stay counts
        return round(middle, 3)
    first = runs[0]
    return first if all(value == first for value in runs) else None
