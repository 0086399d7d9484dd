"""DATABASE_REPLICA_URL: the "replica" database, or none (each case in a fresh process)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHOW = (
    "import django, json; django.setup(); from django.conf import settings; "
    "print(json.dumps({alias: {k: db.get(k) for k in ('ENGINE', 'HOST', 'PORT', "
    "'NAME', 'OPTIONS', 'TEST')} for alias, db in settings.DATABASES.items()}, "
    "default=str))"
)


def start(**env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DATABASE")}
    return subprocess.run(
        [sys.executable, "-c", SHOW],
        cwd=ROOT,
        env=clean | {"DJANGO_SETTINGS_MODULE": "config.settings"} | env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_without_a_replica_url_there_is_only_the_primary():
    result = start()

    assert result.returncode == 0, result.stderr
    assert list(json.loads(result.stdout)) == ["default"]


def test_a_replica_url_adds_the_replica_as_the_primarys_test_mirror():
    result = start(
        DATABASE_URL="mysql://app:secret@db:3306/hospital",
        DATABASE_REPLICA_URL="mysql://reader:secret@db-replica:3306/hospital",
    )

    assert result.returncode == 0, result.stderr
    replica = json.loads(result.stdout)["replica"]
    assert replica["TEST"]["MIRROR"] == "default"
    del replica["TEST"]  # Django fills in the rest of TEST
    assert replica == {
        "ENGINE": "django.db.backends.mysql",
        "HOST": "db-replica",
        "PORT": 3306,
        "NAME": "hospital",
        "OPTIONS": {
            "charset": "utf8mb4",
            "isolation_level": "read committed",
            "connect_timeout": 2,
        },
    }


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"DATABASE_REPLICA_URL": "mysql://reader@db-replica:3306/hospital"},
            "DATABASE_REPLICA_URL must use the same engine as DATABASE_URL",
        ),
        (
            {
                "DATABASE_URL": "mysql://app@db:3306/hospital",
                "DATABASE_REPLICA_URL": "nosuchdb://x",
            },
            "DATABASE_REPLICA_URL is not a valid database URL",
        ),
        (
            {"READ_YOUR_WRITES_SECONDS": "soon"},
            "READ_YOUR_WRITES_SECONDS='soon': expected a whole number",
        ),
        (
            {"REPLICA_CACHE_SECONDS": "0"},
            "REPLICA_CACHE_SECONDS='0': must be at least 1",
        ),
    ],
)
def test_a_bad_replica_setting_stops_start_up_with_a_clear_message(env, message):
    result = start(**env)

    assert result.returncode != 0
    assert message in result.stderr
