"""The printed report of a run (or of the median of runs): phases, bookings, audit, ratios."""

from typing import Any

from benchmarks.rush.audit import audit_is_clean

THROUGHPUT = ("ceiling", "catalog", "refusals")
BOOKING = ("hot_real", "hot_naive", "large_real", "large_naive")
TITLES = {
    "ceiling": "ceiling: plain Django JSON",
    "catalog": "catalog: GET hospitals/",
    "refusals": "sold-out refusals (409)",
    "hot_real": "hot session, real",
    "hot_naive": "hot session, naive",
    "large_real": "large session, real",
    "large_naive": "large session, naive",
}


def ratios(phases: dict[str, dict[str, Any]]) -> dict[str, float | None]:
    """The comparisons within one run."""

    def ratio(a: tuple[str, str], b: tuple[str, str]) -> float | None:
        x = phases.get(a[0], {}).get(a[1])
        y = phases.get(b[0], {}).get(b[1])
        return round(x / y, 3) if x and y else None

    rps = "requests_per_second"
    return {
        "refusals_per_ceiling": ratio(("refusals", rps), ("ceiling", rps)),
        "catalog_per_ceiling": ratio(("catalog", rps), ("ceiling", rps)),
        "accepted_real_per_naive": ratio(
            ("large_real", "accepted_per_second"),
            ("large_naive", "accepted_per_second"),
        ),
        "hot_requests_real_per_naive": ratio(("hot_real", rps), ("hot_naive", rps)),
        "hot_sold_out_time_naive_per_real": ratio(
            ("hot_naive", "sold_out_after_s"), ("hot_real", "sold_out_after_s")
        ),
    }


def _cell(value: Any, digits: int = 1) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _cpu(client: dict[str, Any] | None) -> str:
    if not client or client.get("cores_busy") is None:
        return "-"
    share = client["machine_share"]
    return (
        f"{client['cores_busy']:.2f} cores ({share * 100:.0f} % of {client['cores']})"
    )


def report_lines(report: dict[str, Any], *, details: bool = True) -> list[str]:
    """The tables of one report; `details`: also the error answers and server errors."""
    phases = report["phases"]
    lines = ["", _throughput_header()]
    for name in (*THROUGHPUT, *BOOKING):
        if name in phases:
            lines.append(_throughput_row(name, phases[name]))
    lines += ["", _booking_header()]
    for name in BOOKING:
        if name in phases:
            lines.append(_booking_row(name, phases[name]))
    lines += ["", _audit_header()]
    for name in ("refusals", *BOOKING):
        if name in phases:
            lines.append(_audit_row(name, phases[name].get("audit", {})))
    if details:
        lines += _details(phases)
    r = report["ratios"]
    lines.append("")
    lines.append(
        f"ratios: refusals/ceiling {_cell(r['refusals_per_ceiling'], 2)}, "
        f"catalog/ceiling {_cell(r['catalog_per_ceiling'], 2)}, "
        f"accepted bookings/s real/naive (large session) "
        f"{_cell(r['accepted_real_per_naive'], 2)}, "
        f"hot session requests/s real/naive {_cell(r['hot_requests_real_per_naive'], 2)}, "
        f"time to sell out naive/real {_cell(r['hot_sold_out_time_naive_per_real'], 2)}"
    )
    return lines


def _throughput_header() -> str:
    return (
        f"{'phase':28}{'load':>22}{'requests':>10}{'req/s':>10}{'p50 ms':>9}"
        f"{'p99 ms':>9}{'errors':>8}  client CPU"
    )


def _throughput_row(name: str, phase: dict[str, Any]) -> str:
    return (
        f"{TITLES[name]:28}{_cell(phase.get('load')):>22}{_cell(phase['requests']):>10}"
        f"{_cell(phase['requests_per_second']):>10}{_cell(phase['p50_ms']):>9}"
        f"{_cell(phase['p99_ms']):>9}{_cell(phase['errors']):>8}  "
        f"{_cpu(phase.get('client'))}"
    )


_BOOKING_COLUMNS = (
    ("seats", 7),
    ("sent", 7),
    ("yes 201", 9),
    ("yes ticket", 11),
    ("no 409", 8),
    ("no ticket", 10),
    ("queued", 8),
    ("other", 7),
    ("committed", 11),
    ("accepted/s", 12),
    ("sold out after s", 18),
)


def _booking_header() -> str:
    return f"{'booking phase':28}" + "".join(
        f"{title:>{width}}" for title, width in _BOOKING_COLUMNS
    )


def _booking_row(name: str, phase: dict[str, Any]) -> str:
    told = phase["told"]
    values = (
        phase["audit"].get("capacity"),
        phase["requests"],
        told["yes_at_answer"],
        told["yes_after_ticket"],
        told["no_at_answer"],
        told["no_after_ticket"],
        told["queued"],
        phase["errors"],
        phase["committed"],
        phase["accepted_per_second"],
        phase["sold_out_after_s"],
    )
    return f"{TITLES[name]:28}" + "".join(
        f"{_cell(value, 2 if title.startswith('sold') else 1):>{width}}"
        for value, (title, width) in zip(values, _BOOKING_COLUMNS, strict=True)
    )


_AUDIT_COLUMNS = (
    ("overbooked", "overbooked_rows", 12),
    ("(counters)", "overbooked_seats", 12),
    ("duplicates", "duplicate_bookings", 12),
    ("lost", "lost", 6),
    ("phantom", "phantom", 9),
    ("queued", "queued", 8),
    ("queue no. twice", "queue_numbers_held_twice", 17),
    ("counters!=rows", "counter_mismatches", 16),
)


def _audit_header() -> str:
    return (
        f"{'audit':28}"
        + "".join(f"{title:>{width}}" for title, _, width in _AUDIT_COLUMNS)
        + "  verdict"
    )


def _audit_row(name: str, audit: dict[str, Any]) -> str:
    verdict = "ok" if audit_is_clean(audit) else "FAILED"
    return (
        f"{TITLES[name]:28}"
        + "".join(
            f"{_cell(audit.get(key)):>{width}}" for _, key, width in _AUDIT_COLUMNS
        )
        + f"  {verdict}"
    )


def _details(phases: dict[str, dict[str, Any]]) -> list[str]:
    lines: list[str] = []
    for name, phase in phases.items():
        if name in THROUGHPUT and phase.get("unexpected"):
            lines.append(f"{name}: answers by status: {phase['statuses']}")
        if name in THROUGHPUT and any(phase.get("socket_errors", {}).values()):
            lines.append(f"{name}: socket errors: {phase['socket_errors']}")
        for what, count in phase.get("other_answers", {}).items():
            lines.append(f"{name}: other answers: {count} x {what}")
        for what, count in phase.get("server_errors", {}).items():
            lines.append(f"{name}: 500s in the server log: {count} x {what}")
        if phase.get("retried_stale_connections"):
            lines.append(
                f"{name}: {phase['retried_stale_connections']} requests sent again "
                "after the server closed an idle keep-alive connection"
            )
        tickets = phase.get("tickets", {})
        if tickets.get("pending_at_answer"):
            lines.append(
                f"{name}: {tickets['pending_at_answer']} tickets polled "
                f"({tickets['polls']} polls, {tickets['failed_polls']} failed) "
                f"in {tickets['seconds']} s"
            )
        unanswered = phase.get("audit", {}).get("unanswered_committed")
        if unanswered:
            lines.append(
                f"{name}: {unanswered} appointments of patients whose request failed "
                "(neither told yes nor no)"
            )
    return [""] + lines if lines else []
