"""Where model files live (settings.NOSHOW_MODEL_DIR) and reading one back safely."""

from pathlib import Path

from django.conf import settings

from analytics.ml.artifact import LoadedModel, read


def model_dir() -> Path:
    return Path(settings.NOSHOW_MODEL_DIR)


def model_load(*, file_name: str, file_sha256: str) -> LoadedModel:
    """Raises analytics.ml.artifact.ModelFileError when missing or altered."""
    return read(model_dir() / file_name, sha256=file_sha256)
