import argparse
import datetime
import importlib

import pytest
import time_machine
from django.apps import apps as django_apps
from django.core.cache import cache
from django.utils import translation
from rest_framework.test import APIClient


def _instant(value: str) -> datetime.datetime:
    """An aware datetime from ISO 8601 text; the offset is required (no guessing a zone)."""
    try:
        instant = datetime.datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not an ISO 8601 datetime: {value!r}"
        ) from None
    if instant.utcoffset() is None:
        raise argparse.ArgumentTypeError(
            f"needs a UTC offset, as in 2026-11-27T23:50:00+08:00: {value!r}"
        )
    return instant


def pytest_addoption(parser):
    parser.addoption(
        "--clock",
        type=_instant,
        default=None,
        metavar="ISO_DATETIME",
        help="Run the tests marked `clock` as if it were this instant (ISO 8601 with "
        "an offset, e.g. 2027-02-28T23:50:00+08:00); the clock keeps ticking from there.",
    )


@pytest.fixture(autouse=True)
def _clock(request):
    """Travel to --clock for a test marked `clock`; otherwise leave the real time alone.

    Tests marked `clock` build their data from the current time (sessions two days ahead,
    a visit in two hours...), so they must hold at any hour and date. The CI runs them at
    the awkward moments: just after and just before midnight, on 28 February and on
    31 December. time-machine moves the whole process, threads the test starts included,
    and with tick=True time still passes, as timeouts and ordering need. This fixture is
    the first of this module's autouse fixtures, so every fixture the test asks for is
    built at the travelled time.
    """
    instant = request.config.getoption("clock")
    if instant is None or request.node.get_closest_marker("clock") is None:
        yield None
        return
    with time_machine.travel(instant, tick=True) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _english(settings):
    """Run every test in English, the language of the source strings.

    The product speaks Simplified Chinese (LANGUAGE_CODE = "zh-hans"), but tests assert exact
    messages, and asserting the English source strings keeps them stable while the translations
    get reworded. tests/common/test_translations.py switches to Chinese on purpose and checks the
    catalog itself.
    """
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _clear_cache():
    # Imported here: the plugin loads before Django's apps (tests/test_clock.py).
    from accounts.login_sessions import login_session_forget

    cache.clear()
    login_session_forget()
    yield
    cache.clear()
    login_session_forget()


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture(scope="session", autouse=True)
def _migration_data_without_migrations(request, django_db_blocker):
    """With `--no-migrations` (as `make mutants` runs), add what data migrations write.

    The tables are then created straight from the models, which is much faster (mutation
    testing runs the tests once per mutant), but the member levels that a data migration
    inserts would be missing.
    """
    if not request.config.getoption("nomigrations"):
        return
    if not any(item.get_closest_marker("django_db") for item in request.session.items):
        return  # no test here uses the database
    request.getfixturevalue("django_db_setup")
    membership = importlib.import_module("accounts.migrations.0003_membership")
    with django_db_blocker.unblock():
        membership.levels_create(django_apps, None)


# Under pytest-xdist (`make test`, scripts/pytest_workers.py) with `--dist loadgroup`, the
# tests that open many connections at once run on one worker, one after the other, as they
# do in one process: two at once could pass the server's max_connections. So do the tests
# that start a real Celery worker and beat, which are heavy on a small machine.
SERIAL_GROUPS = {"concurrency": "row-locks", "broker": "broker"}


def pytest_collection_modifyitems(config, items):
    for item in items:
        # tests/replica starts its own MariaDB primary and replica once per module: one
        # worker runs them all, on one pair of servers.
        if item.path.parent.name == "replica":
            item.add_marker(pytest.mark.xdist_group("replica"))
            continue
        for marker, group in SERIAL_GROUPS.items():
            if item.get_closest_marker(marker) is not None:
                item.add_marker(pytest.mark.xdist_group(group))
                break
