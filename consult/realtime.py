"""A consult's live frames: what its sockets (and waiting long-polls) hear, after commit.

consult's services publish their events (consult/events.py); ConsultConfig.ready subscribes
the handlers below on commit, so a frame leaves only once the write is durable, whichever
path made it (REST, a WebSocket frame, a sweep, the admin). Each frame goes to the consult's
group on the channel layer (settings.CHANNEL_LAYERS), which the consumer (consult/consumers.py)
and the long-poll (consult/apis/poll.py) listen to.

The layer is a courtesy, never the record: a frame that cannot be sent (Redis down or slow)
is logged and dropped, the write stands, and clients catch up with the messages cursor.
"""

import asyncio
import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from consult.apis.serializers import MessageOutputSerializer
from consult.events import (
    ConsultMessageRecalled,
    ConsultMessageSent,
    ConsultStatusChanged,
)
from consult.models import ConsultMessage

logger = logging.getLogger(__name__)

# The group event's type: channels calls the consumer's `consult_frame` method.
GROUP_EVENT_TYPE = "consult.frame"
# A hung layer must not hold the writer's request for long.
PUBLISH_TIMEOUT_SECONDS = 2.0


def consult_group(consult_id: int) -> str:
    return f"consult.{consult_id}"


def message_sent_publish(event: ConsultMessageSent) -> None:
    def frame() -> dict | None:
        message = ConsultMessage.objects.filter(pk=event.message_id).first()
        if message is None:  # deleted since: nothing to tell
            return None
        return {
            "type": "message",
            "message": dict(MessageOutputSerializer(message).data),
        }

    _publish(event.consult_id, frame)


def message_recalled_publish(event: ConsultMessageRecalled) -> None:
    _publish(
        event.consult_id, lambda: {"type": "recalled", "message_id": event.message_id}
    )


def status_changed_publish(event: ConsultStatusChanged) -> None:
    _publish(
        event.consult_id,
        lambda: {
            "type": "consult",
            "consult": {"id": event.consult_id, "status": event.status},
        },
    )


def _publish(consult_id: int, build) -> None:
    """Send the frame `build()` makes to the consult's group; log any failure, raise none
    (an on-commit handler that raised would answer an error for a write that was made)."""
    try:
        frame = build()
        if frame is not None:
            async_to_sync(_group_send)(consult_group(consult_id), frame)
    except Exception:
        logger.warning(
            "consult %s: live frame not sent (clients catch up with the cursor)",
            consult_id,
            exc_info=True,
        )


async def _group_send(group: str, frame: dict) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    await asyncio.wait_for(
        layer.group_send(group, {"type": GROUP_EVENT_TYPE, "frame": frame}),
        timeout=PUBLISH_TIMEOUT_SECONDS,
    )
