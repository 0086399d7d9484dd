"""Named domain events: how a lower app causes work in a higher one without importing it.

The app that owns a fact declares the event in its own `events.py` as a frozen dataclass
with a typed payload (ids and plain values, never model instances, so an on-commit handler
reads fresh rows) and publishes it from the service that makes the fact true:

    # hospitals/events.py
    @dataclass(frozen=True)
    class HospitalCreated(DomainEvent):
        hospital_id: int

    # hospitals/services.py
    publish(HospitalCreated(hospital_id=hospital.pk))

A higher app subscribes in its AppConfig.ready, and says when its handler runs:

    subscribe(HospitalCreated, booking_rule_create_default)                  # in the transaction
    subscribe(SessionStopped, notify_patients, when=Phase.ON_COMMIT)         # after commit

An in-transaction handler is part of the publisher's unit of work: if it raises, the whole
write rolls back (so a subscriber may also refuse the publisher's action with a DomainError). An on-commit handler runs only once the write is durable (for messages and
other side effects) and cannot undo it. Handlers run in the order they were subscribed.
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from functools import partial
from typing import Any, TypeVar

from django.db import transaction


class DomainEvent:
    """Base of every event; subclasses are frozen dataclasses."""


class Phase(StrEnum):
    IN_TRANSACTION = "in_transaction"
    ON_COMMIT = "on_commit"


E = TypeVar("E", bound=DomainEvent)


@dataclass(frozen=True)
class Subscription:
    handler: Callable[[Any], object]
    when: Phase


_SUBSCRIPTIONS: dict[type[DomainEvent], list[Subscription]] = defaultdict(list)


def subscribe(
    event_type: type[E],
    handler: Callable[[E], object],
    *,
    when: Phase = Phase.IN_TRANSACTION,
) -> None:
    """Register `handler` for `event_type`; call from the subscribing app's AppConfig.ready.

    Subscribing the same handler twice is a no-op, so a re-run ready() stays harmless.
    """
    subscription = Subscription(handler=handler, when=when)
    if subscription not in _SUBSCRIPTIONS[event_type]:
        _SUBSCRIPTIONS[event_type].append(subscription)


def subscriptions(event_type: type[DomainEvent]) -> tuple[Subscription, ...]:
    return tuple(_SUBSCRIPTIONS.get(event_type, ()))


def publish(event: DomainEvent) -> list[object]:
    """Run the event's in-transaction handlers now, and queue its on-commit ones.

    Returns what the in-transaction handlers returned, in order, without their Nones. An
    event that wants an answer says in its docstring what its handlers return (e.g. the
    amount refunded); the publisher never needs to know who answered.
    """
    answers: list[object] = []
    for subscription in subscriptions(type(event)):
        if subscription.when is Phase.ON_COMMIT:
            transaction.on_commit(partial(subscription.handler, event))
            continue
        answer = subscription.handler(event)
        if answer is not None:
            answers.append(answer)
    return answers
