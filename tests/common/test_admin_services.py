"""common.admin_services: running a service for each selected row."""

from django.contrib import messages

from common.admin import run_service_action
from common.errors import DomainError


class MessageLog:
    """What a ModelAdmin's message_user would show, in order."""

    def __init__(self) -> None:
        self.shown: list[tuple[int, str]] = []

    def message_user(self, request, message, level=messages.INFO) -> None:
        self.shown.append((level, str(message)))


def _refuse_odd(number: int) -> int:
    if number % 2:
        raise DomainError("odd", f"{number} is odd")
    return number * 10


def test_each_refusal_is_named_and_the_successes_counted_once():
    # given
    log = MessageLog()

    # when
    done = run_service_action(
        log,
        None,
        [1, 2, 3, 4],
        _refuse_odd,
        label=lambda n: f"No. {n}",
        success_message="%(count)d done.",
    )

    # then
    assert done == 2
    assert log.shown == [
        (messages.ERROR, "No. 1: 1 is odd"),
        (messages.ERROR, "No. 3: 3 is odd"),
        (messages.SUCCESS, "2 done."),
    ]


def test_a_message_per_success_is_made_from_what_the_service_returned():
    log = MessageLog()

    done = run_service_action(
        log, None, [2, 3], _refuse_odd, row_success=lambda result: f"got {result}"
    )

    assert done == 1
    assert log.shown == [(messages.SUCCESS, "got 20"), (messages.ERROR, "3: 3 is odd")]


def test_no_success_message_when_every_row_is_refused():
    log = MessageLog()

    done = run_service_action(log, None, [1], _refuse_odd, success_message="%(count)d")

    assert done == 0
    assert log.shown == [(messages.ERROR, "1: 1 is odd")]
