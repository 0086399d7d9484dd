"""Parts of the service that higher apps add to /health/ (common.apis.HealthApi).

An app registers a check in its AppConfig.ready: a function answering "ok",
"not_configured" or another word naming its degraded state ("down", "fallback"). Only
"ok" and "not_configured" count as healthy; a registered part never turns the answer into
a 503 (only the database does).
"""

from collections.abc import Callable

_checks: dict[str, Callable[[], str]] = {}


def health_check_register(name: str, check: Callable[[], str]) -> None:
    _checks[name] = check


def health_checks() -> dict[str, Callable[[], str]]:
    return dict(_checks)
