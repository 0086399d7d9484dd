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


def _production_env() -> dict[str, str]:
    import secrets

    return {
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "FIELD_ENCRYPTION_KEY": GOOD_FIELD_KEY,
        "LOOKUP_HASH_KEY": GOOD_LOOKUP_KEY,
    }


def _run(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(
            ("DJANGO_", "FIELD_", "SMS_", "DATABASE", "SECURE_", "STAFF_", "AXES_")
        )
        and k not in ("SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE")
    }
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=clean | {"DJANGO_SETTINGS_MODULE": "config.settings"} | env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_deploy_check_is_clean_in_production_mode():
    result = _run(
        "manage.py", "check", "--deploy", "--fail-level", "WARNING", **_production_env()
    )

    assert result.returncode == 0, result.stderr + result.stdout


def test_the_deploy_check_warns_when_https_settings_are_turned_off():
    # the test above cannot pass by accident: the same check fails without HSTS and redirect
    result = _run(
        "manage.py",
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        **_production_env(),
        SECURE_HSTS_SECONDS="0",
        SECURE_SSL_REDIRECT="false",
    )

    assert result.returncode != 0
    assert "security.W004" in result.stderr
    assert "security.W008" in result.stderr


PRINT_SECURITY = (
    "import django; django.setup(); from django.conf import settings as s; "
    "print(s.STAFF_REQUIRE_OTP, s.SESSION_COOKIE_AGE, s.SECURE_SSL_REDIRECT, "
    "s.SECURE_HSTS_SECONDS, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, "
    "getattr(s, 'SECURE_PROXY_SSL_HEADER', None), s.AXES_FAILURE_LIMIT, "
    "s.AXES_COOLOFF_TIME.total_seconds())"
)


def test_production_requires_the_second_factor_and_https():
    result = _run("-c", PRINT_SECURITY, **_production_env())

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "True",
        "28800",
        "True",
        "31536000",
        "True",
        "True",
        "('HTTP_X_FORWARDED_PROTO',",
        "'https')",
        "10",
        "1800.0",
    ]


def test_the_demo_signs_staff_in_without_a_phone_over_plain_http():
    result = _run("-c", PRINT_SECURITY)

    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[:7] == [
        "False",
        "28800",
        "False",
        "0",
        "False",
        "False",
        "None",
    ]


def test_an_admin_session_longer_than_eight_hours_stops_start_up():
    result = start(ADMIN_SESSION_HOURS="9")

    assert result.returncode != 0
    assert "ADMIN_SESSION_HOURS must be at most 8" in result.stderr
