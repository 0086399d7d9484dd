"""Django against a real MariaDB primary and replica (tests/replica/servers.py).

The pair is started once for the module; the schema is created on the primary straight from
the models (as `--no-migrations` does: a few seconds, not the minutes of every migration) and
reaches the replica by replication. Each test then points "default" and "replica" at the
pair, in this thread only, and puts the suite's own databases back afterwards. The tests
are not marked `django_db`: they commit for real, which is what a replica sees.
"""

import importlib
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.apps import apps as django_apps
from django.core.management import call_command
from django.db import connections
from django.test.utils import override_settings

from common import replica, replica_health
from tests.replica.servers import Pair, free_port, installed

DATABASE = "hospital"


class _NoMigrations(dict):
    def __contains__(self, app_label: object) -> bool:
        return True

    def __getitem__(self, app_label: str) -> None:
        return None


def database_settings(port: int, *, replica_of: bool = False) -> dict:
    settings = {
        "ENGINE": "django.db.backends.mysql",
        "NAME": DATABASE,
        "USER": "root",
        "PASSWORD": "",
        "HOST": "127.0.0.1",
        "PORT": port,
        "CONN_MAX_AGE": 0,
        "OPTIONS": {"charset": "utf8mb4", "isolation_level": "read committed"},
    }
    if replica_of:
        settings["OPTIONS"]["connect_timeout"] = 2
        settings["TEST"] = {"MIRROR": "default"}
    return settings


@contextmanager
def databases_at(primary_port: int, replica_port: int) -> Iterator[None]:
    """Point "default" and "replica" at these servers, in this thread, for the block."""
    saved_settings = connections.settings
    local = connections._connections
    saved = {a: getattr(local, a) for a in saved_settings if hasattr(local, a)}
    for alias in saved:
        delattr(local, alias)
    connections.__dict__["settings"] = connections.configure_settings(
        {
            "default": database_settings(primary_port),
            "replica": database_settings(replica_port, replica_of=True),
        }
    )
    replica_health.replica_state_forget()
    replica.read_context_begin()
    try:
        yield
    finally:
        replica.read_context_end()
        replica_health.replica_state_forget()
        for alias in ("default", "replica"):
            if hasattr(local, alias):
                getattr(local, alias).close()
                delattr(local, alias)
        connections.__dict__["settings"] = saved_settings
        for alias, connection in saved.items():
            setattr(local, alias, connection)


@pytest.fixture(scope="module")
def pair(django_db_blocker) -> Iterator[Pair]:
    if not installed():
        pytest.skip("MariaDB's server (mariadbd, mariadb-install-db) is not installed")
    servers = Pair()
    try:
        servers.start()
        servers.primary.query(
            f"CREATE DATABASE {DATABASE} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
        )
        with (
            django_db_blocker.unblock(),
            databases_at(servers.primary.port, servers.replica.port),
        ):
            with override_settings(MIGRATION_MODULES=_NoMigrations()):
                call_command("migrate", run_syncdb=True, verbosity=0)
            # What a data migration writes, as tests/conftest.py does without migrations.
            membership = importlib.import_module("accounts.migrations.0003_membership")
            membership.levels_create(django_apps, None)
        servers.caught_up()
        yield servers
    finally:
        servers.stop()


@pytest.fixture
def split(pair, django_db_blocker, settings) -> Iterator[Pair]:
    """Django reading and writing through the pair; replication running, caught up."""
    settings.REPLICA_MAX_LAG_SECONDS = 30
    with (
        django_db_blocker.unblock(),
        databases_at(pair.primary.port, pair.replica.port),
    ):
        yield pair
    pair.replication_start()  # if a test stopped it


@pytest.fixture
def replica_down(pair, django_db_blocker) -> Iterator[Pair]:
    """The primary of the pair, and a replica at a port where nothing listens."""
    with django_db_blocker.unblock(), databases_at(pair.primary.port, free_port()):
        yield pair
