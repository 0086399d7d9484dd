"""The read/write split's rules, without a replica (tests/replica/ runs a real one)."""

import threading

import pytest
from django.core.cache import cache
from django.db import OperationalError, transaction

from common import replica, replica_health
from common.databases import is_other_database, replica_in_effect
from common.db_router import PrimaryReplicaRouter
from common.replica_writes import is_write_sql
from hospitals.models import Hospital

ALLOWED = {
    "replica_configured": True,
    "opted_in": True,
    "in_transaction": False,
    "wrote": False,
    "replica_usable": True,
}


def test_a_read_that_may_lag_goes_to_the_replica_when_nothing_forbids_it():
    assert replica.read_alias_for(**ALLOWED) == "replica"


@pytest.mark.parametrize(
    ("condition", "value"),
    [
        ("replica_configured", False),
        ("opted_in", False),
        ("in_transaction", True),
        ("wrote", True),
        ("replica_usable", False),
    ],
)
def test_any_one_reason_sends_the_read_to_the_primary(condition, value):
    assert replica.read_alias_for(**(ALLOWED | {condition: value})) == "default"


def test_without_a_replica_setting_every_read_goes_to_the_primary():
    # given: the suite's settings (no DATABASE_REPLICA_URL, or the test mirror)
    router = PrimaryReplicaRouter()

    # when: even a read that says it may lag
    with replica.replica_reads():
        alias = router.db_for_read(Hospital)

    # then
    assert replica_in_effect() is False
    assert alias == "default"


def test_a_replica_that_is_the_primary_itself_is_no_replica():
    primary = {
        "ENGINE": "django.db.backends.mysql",
        "HOST": "db",
        "PORT": 3306,
        "NAME": "test_hospital",
    }

    assert is_other_database(primary, dict(primary, PORT="3306")) is False
    assert is_other_database(primary, dict(primary, HOST="db-replica")) is True
    assert is_other_database(primary, dict(primary, PORT=3307)) is True


def test_writes_and_migrations_stay_on_the_primary():
    router = PrimaryReplicaRouter()
    from_replica, from_primary = Hospital(), Hospital()
    from_replica._state.db, from_primary._state.db = "replica", "default"

    assert router.db_for_write(Hospital, instance=from_replica) == "default"
    assert router.allow_migrate("default", "hospitals") is True
    assert router.allow_migrate("replica", "hospitals") is False
    assert router.allow_relation(from_replica, from_primary) is True


@pytest.mark.parametrize(
    ("sql", "is_write"),
    [
        ("SELECT 1", False),
        ("  select `x` FROM t FOR UPDATE", False),
        ("(SELECT 1) UNION (SELECT 2)", False),
        ("SAVEPOINT `s1`", False),
        ("RELEASE SAVEPOINT `s1`", False),
        ("SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED", False),
        ("INSERT INTO t VALUES (1)", True),
        ("update t set a = 1", True),
        ("DELETE FROM t", True),
        ("REPLACE INTO t VALUES (1)", True),
        ("WITH x AS (SELECT 1) UPDATE t SET a = 1", True),
        ("ALTER TABLE t ADD COLUMN b int", True),
        (b"INSERT INTO t VALUES (1)", True),
    ],
)
def test_any_statement_that_is_not_a_read_counts_as_a_write(sql, is_write):
    assert is_write_sql(sql) is is_write


@pytest.fixture
def replica_answers(monkeypatch):
    """As if a separate, healthy replica were configured (no database is touched)."""
    monkeypatch.setattr(replica, "replica_in_effect", lambda: True)
    monkeypatch.setattr(replica, "replica_usable", lambda: True)
    replica.read_context_begin()
    yield
    replica.read_context_end()


def test_with_a_replica_only_reads_that_opted_in_go_there(replica_answers):
    with replica.replica_reads():
        inside = replica.read_alias()
    outside = replica.read_alias()

    assert inside == "replica"
    assert outside == "default"


def test_after_the_callers_own_write_reads_go_to_the_primary(replica_answers):
    with replica.replica_reads():
        before = replica.read_alias()
        replica.note_write()
        after = replica.read_alias()

    assert (before, after) == ("replica", "default")


@pytest.mark.django_db(transaction=True)
def test_inside_a_transaction_reads_go_to_the_primary(replica_answers):
    with replica.replica_reads():
        with transaction.atomic():
            inside = replica.read_alias()
        after = replica.read_alias()

    assert (inside, after) == ("default", "replica")


class _Request:
    def __init__(self, user):
        self.user = user


class _User:
    pk = 41
    is_authenticated = True


def test_a_user_who_wrote_in_an_earlier_request_reads_the_primary(replica_answers):
    # given: a request of user 41, whose previous request wrote (the middleware's mark)
    replica.read_context_begin(_Request(_User()))
    cache.set(replica.write_mark_key(41), 1, 5)

    with replica.replica_reads():
        alias = replica.read_alias()

    assert alias == "default"


def test_another_user_is_not_held_to_the_primary_by_that_mark(replica_answers):
    replica.read_context_begin(_Request(_User()))
    cache.set(replica.write_mark_key(42), 1, 5)

    with replica.replica_reads():
        alias = replica.read_alias()

    assert alias == "replica"


def test_a_write_in_one_thread_does_not_hold_another_to_the_primary(
    replica_answers,
):
    # given: another thread (another request) writes
    thread = threading.Thread(target=replica.note_write)
    thread.start()
    thread.join()

    # when
    with replica.replica_reads():
        alias = replica.read_alias()

    # then
    assert alias == "replica"


def test_a_failing_replica_is_marked_down_and_the_read_runs_on_the_primary(
    replica_answers, monkeypatch
):
    # given: the first run reads the replica, which fails
    aliases = []

    @replica.reads_may_lag
    def hospital_names() -> str:
        aliases.append(replica.read_alias())
        if aliases[-1] == "replica":
            raise OperationalError("(2013, 'Lost connection to server')")
        return "from the primary"

    monkeypatch.setattr(replica, "replica_usable", replica_health.replica_usable)
    monkeypatch.setattr(replica_health, "_check", lambda: replica_health.OK)
    monkeypatch.setattr(replica_health, "_close_replica", lambda: None)
    replica_health.replica_state_forget()

    # when
    answer = hospital_names()

    # then: run again on the primary, and the replica is left alone until the next check
    assert answer == "from the primary"
    assert aliases == ["replica", "default"]
    assert replica_health.replica_usable() is False
    replica_health.replica_state_forget()


def test_an_error_on_the_primary_is_not_retried(replica_answers):
    @replica.reads_may_lag
    def broken() -> None:
        raise OperationalError("the primary failed")

    with pytest.raises(OperationalError):
        broken()
