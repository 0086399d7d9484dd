import os
import uuid

import pytest

from config.settings import channel_layers


@pytest.fixture(
    params=[
        "in_memory",
        pytest.param(
            "redis",
            marks=pytest.mark.skipif(
                not os.environ.get("REDIS_URL"), reason="needs REDIS_URL"
            ),
        ),
    ]
)
def channel_layer(request, settings) -> str:
    """A fresh channel layer for the test: in memory, and Redis pub/sub when REDIS_URL is
    set (as CI runs). Pub/sub ignores Redis' database number, so each test has its own
    prefix: two runs on one server never hear each other's consults."""
    if request.param == "redis":
        layers = channel_layers(os.environ["REDIS_URL"])
        layers["default"]["CONFIG"]["prefix"] = f"test{uuid.uuid4().hex[:12]}."
    else:
        layers = channel_layers("")
    settings.CHANNEL_LAYERS = layers  # channels builds the layer again on the change
    return request.param
