"""Start-up refuses bad configuration with a clear message (each case in a fresh process)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GOOD_KEY = "q" * 48
GOOD_FIELD_KEY = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="  # base64 of 32 bytes
GOOD_LOOKUP_KEY = "ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA="  # base64 of 32 bytes


def start(**env: str) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "FIELD_", "SMS_", "DATABASE"))
    }
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); print('started')"],
        cwd=ROOT,
        env=clean | {"DJANGO_SETTINGS_MODULE": "config.settings"} | env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_embedded_defaults_start():
    result = start()

    assert result.returncode == 0, result.stderr
    assert "started" in result.stdout


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DJANGO_DEBUG": "yes"}, "DJANGO_DEBUG='yes': expected 'true' or 'false'"),
        ({"DJANGO_DEBUG": "false"}, "Set DJANGO_SECRET_KEY"),
        (
            {"DJANGO_DEBUG": "false", "DJANGO_SECRET_KEY": GOOD_KEY},
            "Set FIELD_ENCRYPTION_KEY when DJANGO_DEBUG is false",
        ),
        (
            {
                "DJANGO_DEBUG": "false",
                "DJANGO_SECRET_KEY": GOOD_KEY,
                "FIELD_ENCRYPTION_KEY": GOOD_FIELD_KEY,
            },
            "Set LOOKUP_HASH_KEY when DJANGO_DEBUG is false",
        ),
        (
            {"FIELD_ENCRYPTION_KEY": "c2hvcnQ="},
            "FIELD_ENCRYPTION_KEY: expected base64 of 32 bytes",
        ),
        (
            {"FIELD_ENCRYPTION_OLD_KEYS": f"{GOOD_FIELD_KEY},c2hvcnQ="},
            "FIELD_ENCRYPTION_OLD_KEYS: expected base64 of 32 bytes",
        ),
        (
            {"JWT_ACCESS_MINUTES": "soon"},
            "JWT_ACCESS_MINUTES='soon': expected a whole number",
        ),
        (
            {"SMS_BACKEND": "pigeon"},
            "SMS_BACKEND='pigeon': expected one of console, http",
        ),
        ({"DATABASE_URL": "nonsense://x"}, "DATABASE_URL is not a valid database URL"),
    ],
)
def test_a_bad_value_stops_start_up_with_a_clear_message(env, message):
    result = start(**env)

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr


def test_production_settings_start_with_real_keys():
    result = start(
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY=GOOD_KEY,
        FIELD_ENCRYPTION_KEY=GOOD_FIELD_KEY,
        LOOKUP_HASH_KEY=GOOD_LOOKUP_KEY,
    )

    assert result.returncode == 0, result.stderr


def test_every_variable_the_settings_read_is_listed_in_env_example():
    import re

    settings_text = (ROOT / "config" / "settings.py").read_text()
    read = set(re.findall(r'env_\w+\(\s*"([A-Z][A-Z0-9_]+)"', settings_text))
    read |= set(re.findall(r'os\.environ\.get\(\s*"([A-Z][A-Z0-9_]+)"', settings_text))
    listed = set(
        re.findall(
            r"^#?\s*([A-Z][A-Z0-9_]+)=",
            (ROOT / ".env.example").read_text(),
            re.MULTILINE,
        )
    )

    assert read - listed == set()
