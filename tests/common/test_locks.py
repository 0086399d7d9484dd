"""common.locks: locks on names that have no row of their own (MariaDB's GET_LOCK)."""

import threading

import pytest
from django.db import connection

from common.errors import ServiceUnavailable
from common.locks import named_locks

pytestmark = pytest.mark.django_db(transaction=True)

needs_user_locks = pytest.mark.skipif(
    connection.vendor != "mysql", reason="user-level locks are MariaDB/MySQL's"
)


def _try_in_another_connection(*names: str) -> object:
    """Take `names` without waiting from another thread (so another connection)."""
    result: list[object] = []

    def job() -> None:
        try:
            with named_locks(*names, wait_seconds=0):
                result.append("taken")
        except ServiceUnavailable as exc:
            result.append(exc.code)
        finally:
            connection.close()

    thread = threading.Thread(target=job)
    thread.start()
    thread.join(timeout=30)
    return result[0]


@needs_user_locks
def test_a_held_name_is_refused_to_another_connection_and_free_after_the_block():
    with named_locks("sms:phone:a", "sms:ip:1"):
        assert _try_in_another_connection("sms:ip:1") == "server_busy"
        assert _try_in_another_connection("sms:phone:b") == "taken"

    assert _try_in_another_connection("sms:ip:1", "sms:phone:a") == "taken"


@needs_user_locks
def test_the_locks_are_released_when_the_block_raises():
    with pytest.raises(ValueError, match="refused"), named_locks("sms:phone:a"):
        raise ValueError("refused")

    assert _try_in_another_connection("sms:phone:a") == "taken"


def test_the_block_runs_on_every_engine():
    ran = []
    with named_locks("sms:phone:a", "sms:phone:a"):
        ran.append(True)
    assert ran == [True]
