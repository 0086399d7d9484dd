from dataclasses import dataclass

import pytest
from django.db import transaction

from common import events
from common.events import DomainEvent, Phase, publish, subscribe, subscriptions

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class ThingHappened(DomainEvent):
    thing_id: int


@pytest.fixture(autouse=True)
def _isolated_subscriptions(monkeypatch):
    monkeypatch.setattr(events, "_SUBSCRIPTIONS", events.defaultdict(list))


def test_in_transaction_handlers_run_at_once_in_subscription_order():
    # given
    seen = []
    subscribe(ThingHappened, lambda e: seen.append(("first", e.thing_id)))
    subscribe(ThingHappened, lambda e: seen.append(("second", e.thing_id)))

    # when
    publish(ThingHappened(thing_id=7))

    # then
    assert seen == [("first", 7), ("second", 7)]


def test_on_commit_handlers_wait_for_the_commit(django_capture_on_commit_callbacks):
    seen = []
    subscribe(ThingHappened, seen.append, when=Phase.ON_COMMIT)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        publish(ThingHappened(thing_id=3))
        assert seen == []

    assert len(callbacks) == 1
    assert seen == [ThingHappened(thing_id=3)]


def test_on_commit_handlers_never_run_when_the_write_rolls_back(
    django_capture_on_commit_callbacks,
):
    seen = []
    subscribe(ThingHappened, seen.append, when=Phase.ON_COMMIT)

    @transaction.atomic
    def refused_service():
        publish(ThingHappened(thing_id=1))
        raise RuntimeError("the service refused")

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        refused_service()

    assert seen == []


def test_an_in_transaction_handler_that_fails_fails_the_publisher():
    def refuse(event):
        raise ValueError(f"no {event.thing_id}")

    subscribe(ThingHappened, refuse)

    with pytest.raises(ValueError, match="no 5"):
        publish(ThingHappened(thing_id=5))


def test_subscribing_the_same_handler_twice_registers_it_once():
    seen = []
    subscribe(ThingHappened, seen.append)
    subscribe(ThingHappened, seen.append)

    publish(ThingHappened(thing_id=2))

    assert len(subscriptions(ThingHappened)) == 1
    assert seen == [ThingHappened(thing_id=2)]


def test_an_event_without_subscribers_is_a_no_op():
    publish(ThingHappened(thing_id=9))

    assert subscriptions(ThingHappened) == ()


def test_publish_returns_the_in_transaction_handlers_answers_without_nones(
    django_capture_on_commit_callbacks,
):
    subscribe(ThingHappened, lambda e: e.thing_id * 10)
    subscribe(ThingHappened, lambda e: None)
    subscribe(ThingHappened, lambda e: "later", when=Phase.ON_COMMIT)

    with django_capture_on_commit_callbacks(execute=False):
        answers = publish(ThingHappened(thing_id=4))

    assert answers == [40]
