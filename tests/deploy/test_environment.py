"""The Kubernetes ConfigMap and Secret hold exactly the variables of .env.example.

A variable added to .env.example (every setting is) must be given to the pods too, in the
ConfigMap or, if it is a secret, in the Secret; one dropped from .env.example goes from them.
"""

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
BASE = ROOT / "deploy" / "k8s" / "base"
# The same reading of .env.example as tests/common/test_settings.py: commented-out
# variables (# BOOKING_PREDEDUCT=true) are variables too.
VARIABLE = re.compile(r"^#?\s*([A-Z][A-Z0-9_]+)=", re.MULTILINE)
# The ones that must never sit in the ConfigMap (readable by anyone who can read the
# namespace's config): keys, passwords, and URLs that carry a password.
SECRETS = {
    "DJANGO_SECRET_KEY",
    "FIELD_ENCRYPTION_KEY",
    "FIELD_ENCRYPTION_OLD_KEYS",
    "LOOKUP_HASH_KEY",
    "DATABASE_URL",
    "DATABASE_REPLICA_URL",
    "REDIS_URL",
    "CHANNEL_LAYER_URL",
    "BOOKING_STOCK_REDIS_URL",
    "CELERY_BROKER_URL",
    "BEAT_LOCK_URL",
    "WECHAT_APP_SECRET",
    "WECHATPAY_APIV3_KEY",
    "SMS_HTTP_TOKEN",
    "METRICS_TOKEN",
    "SENTRY_DSN",
    "DEMO_ADMIN_PASSWORD",
}


def env_example_variables() -> list[str]:
    return VARIABLE.findall((ROOT / ".env.example").read_text())


def manifest(name: str) -> dict:
    return yaml.safe_load((BASE / name).read_text())


def test_env_example_lists_each_variable_once():
    names = env_example_variables()

    assert sorted({n for n in names if names.count(n) > 1}) == []


def test_configmap_and_secret_hold_exactly_the_variables_of_env_example():
    config = set(manifest("configmap.yaml")["data"])
    secret = set(manifest("secret.yaml")["stringData"])

    assert config & secret == set()
    assert sorted(set(env_example_variables()) - (config | secret)) == []
    assert sorted((config | secret) - set(env_example_variables())) == []


def test_the_secrets_are_in_the_secret_only():
    assert set(manifest("secret.yaml")["stringData"]) == SECRETS


def test_the_secret_template_holds_placeholders_only():
    values = manifest("secret.yaml")["stringData"].values()

    assert all(value == "" or "REPLACE-ME" in value for value in values)


def test_every_value_is_a_string():
    # A bare true or 60 in YAML is not a string, and Kubernetes refuses a ConfigMap with one.
    for name in ("configmap.yaml", "secret.yaml"):
        document = manifest(name)
        values = document.get("data") or document["stringData"]
        assert [k for k, v in values.items() if not isinstance(v, str)] == []


def test_the_images_beat_runs_the_scheduler_that_holds_the_lock():
    # Two beat pods during a rollout or a manual scale must not both send: the image's
    # beat role names the locked scheduler, which exists.
    from common.beat_lock import LockedDatabaseScheduler

    entrypoint = (ROOT / "deploy" / "docker" / "entrypoint.sh").read_text()
    beat = entrypoint.split("  beat)", 1)[1].split(";;", 1)[0]

    assert "--scheduler common.beat_lock:LockedDatabaseScheduler" in beat
    assert LockedDatabaseScheduler.__name__ in beat
