"""Where model files live (settings.NOSHOW_MODEL_DIR), reading one back safely, and the
active version as loaded in this process (kept until another version becomes active; each
call reads the active row's id and SHA-256: one small query)."""

import logging
import threading
from pathlib import Path

from django.conf import settings

from analytics.ml.artifact import LoadedModel, ModelFileError, read
from analytics.models import NoShowModel

logger = logging.getLogger(__name__)


def model_dir() -> Path:
    return Path(settings.NOSHOW_MODEL_DIR)


def model_load(*, file_name: str, file_sha256: str) -> LoadedModel:
    """Raises analytics.ml.artifact.ModelFileError when missing or altered."""
    return read(model_dir() / file_name, sha256=file_sha256)


_lock = threading.Lock()
_cached: dict[tuple[int, str], LoadedModel] = {}


def active_model() -> tuple[dict, LoadedModel] | None:
    """The active version's row (id, file, thresholds) and its loaded file, or None."""
    active = (
        NoShowModel.objects.filter(is_active=True)
        .values("id", "file_name", "file_sha256", "threshold_medium", "threshold_high")
        .first()
    )
    if active is None:
        return None
    key = (active["id"], active["file_sha256"])
    with _lock:
        loaded = _cached.get(key)
        if loaded is None:
            try:
                loaded = model_load(
                    file_name=active["file_name"], file_sha256=active["file_sha256"]
                )
            except ModelFileError:
                logger.exception("no-show model %s cannot be loaded", active["id"])
                return None
            _cached.clear()  # keep only the active version in memory
            _cached[key] = loaded
    return active, loaded
