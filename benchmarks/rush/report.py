"""The figures of a rush: per-request outcomes summarized, and the printed comparison."""

import math
from collections import Counter
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Outcome:
    """One request: HTTP status (0 when no answer came), error code, latency in seconds."""

    status: int
    code: str
    seconds: float

    @property
    def label(self) -> str:
        if self.status == 0:
            return self.code
        return f"{self.status} {self.code}".strip()


def percentile(values: list[float], fraction: float) -> float | None:
    """Nearest-rank percentile (`fraction` in (0, 1]); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 1)


def summarize(
    outcomes: list[Outcome], *, elapsed: float, not_sent: int, retried: int
) -> dict[str, Any]:
    """The figures of one workload, from what the client saw."""
    booked = [o.seconds for o in outcomes if o.status == 201]
    sold_out = [
        o.seconds for o in outcomes if o.status == 409 and o.code == "slot_full"
    ]
    others = Counter(
        o.label
        for o in outcomes
        if o.status != 201 and not (o.status == 409 and o.code == "slot_full")
    )
    every = [o.seconds for o in outcomes]
    return {
        "requests": len(outcomes),
        "not_sent": not_sent,
        "booked": len(booked),
        "sold_out": len(sold_out),
        "other_errors": dict(sorted(others.items())),
        "booked_p50_ms": _ms(percentile(booked, 0.50)),
        "booked_p99_ms": _ms(percentile(booked, 0.99)),
        "sold_out_p50_ms": _ms(percentile(sold_out, 0.50)),
        "sold_out_p99_ms": _ms(percentile(sold_out, 0.99)),
        "all_p50_ms": _ms(percentile(every, 0.50)),
        "all_p99_ms": _ms(percentile(every, 0.99)),
        "seconds": round(elapsed, 3),
        "requests_per_second": round(len(outcomes) / elapsed, 1) if elapsed else None,
        "retried_stale_connections": retried,
    }


def report_lines(report: dict[str, Any]) -> list[str]:
    """The optimized and baseline figures side by side, then errors and ratios."""
    rows = (
        ("requests sent", "requests"),
        ("not sent (time limit)", "not_sent"),
        ("booked (201)", "booked"),
        ("sold out (409 slot_full)", "sold_out"),
        ("other answers and failures", "other_errors"),
        ("p50 booked (ms)", "booked_p50_ms"),
        ("p99 booked (ms)", "booked_p99_ms"),
        ("p50 sold out (ms)", "sold_out_p50_ms"),
        ("p99 sold out (ms)", "sold_out_p99_ms"),
        ("p50 all (ms)", "all_p50_ms"),
        ("p99 all (ms)", "all_p99_ms"),
        ("wall time (s)", "seconds"),
        ("requests per second", "requests_per_second"),
    )
    audit_rows = (
        ("seats in the session", "capacity"),
        ("appointments in the session", "appointments"),
        ("overbooked seats (counters)", "overbooked_seats"),
        ("overbooked seats (rows)", "overbooked_rows"),
        ("duplicate bookings", "duplicate_bookings"),
        ("queue numbers held twice", "queue_numbers_held_twice"),
        ("counters != rows", "counter_mismatches"),
    )
    optimized, baseline = report["optimized"], report["baseline"]
    lines: list[str] = []

    def cell(value: Any) -> str:
        if isinstance(value, dict):
            return str(sum(value.values()))
        return "-" if value is None else str(value)

    lines.append("")
    lines.append(f"{'':32}{'optimized':>14}{'baseline':>14}")
    for title, key in rows:
        lines.append(f"{title:32}{cell(optimized[key]):>14}{cell(baseline[key]):>14}")
    for title, key in audit_rows:
        lines.append(
            f"{title:32}{cell(optimized['audit'][key]):>14}{cell(baseline['audit'][key]):>14}"
        )

    for name in ("optimized", "baseline"):
        for key, title in (
            ("other_errors", "other answers"),
            ("server_errors", "500s in the server log"),
        ):
            for what, count in report[name].get(key, {}).items():
                lines.append(f"{name}, {title}: {count} x {what}")
        if report[name]["retried_stale_connections"]:
            lines.append(
                f"{name}: {report[name]['retried_stale_connections']} requests sent "
                "again after the server closed an idle keep-alive connection"
            )

    def ratio(key: str) -> str:
        a, b = optimized[key], baseline[key]
        return f"{a / b:.2f}x" if a and b else "-"

    lines.append(
        f"optimized/baseline: requests per second {ratio('requests_per_second')}, "
        f"p99 all {ratio('all_p99_ms')}, p99 booked {ratio('booked_p99_ms')}, "
        f"p99 sold out {ratio('sold_out_p99_ms')}"
    )
    return lines
