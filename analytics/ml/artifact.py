"""The model file: both trees, their calibration and thresholds, and its SHA-256.

The file is a joblib pickle, and unpickling runs code, so it is loaded only when its
SHA-256 matches the one recorded in the database when it was written.
"""

import hashlib
import io
import os
from dataclasses import dataclass
from pathlib import Path

import joblib

from analytics.ml.training import RiskTree, Trained

FILE_FORMAT = 1


class ModelFileError(Exception):
    pass


@dataclass
class LoadedModel:
    main: RiskTree
    fair: RiskTree
    thresholds: dict[str, float]
    holidays: bool


def file_name(version: int) -> str:
    return f"noshow-v{version}.joblib"


def write(
    trained: Trained, *, folder: Path, version: int, holidays: bool
) -> tuple[str, str]:
    """Write the file (atomically) and answer (file name, SHA-256)."""
    buffer = io.BytesIO()
    joblib.dump(
        {
            "format": FILE_FORMAT,
            "version": version,
            "main": trained.main,
            "fair": trained.fair,
            "thresholds": trained.thresholds,
            "holidays": holidays,
        },
        buffer,
    )
    raw = buffer.getvalue()
    folder.mkdir(parents=True, exist_ok=True)
    name = file_name(version)
    partial = folder / f".{name}.partial"
    partial.write_bytes(raw)
    os.replace(partial, folder / name)
    return name, hashlib.sha256(raw).hexdigest()


def read(path: Path, *, sha256: str) -> LoadedModel:
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise ModelFileError(f"cannot read {path.name}: {error.strerror}") from None
    if hashlib.sha256(raw).hexdigest() != sha256:
        raise ModelFileError(f"{path.name} does not match its recorded SHA-256")
    content = joblib.load(io.BytesIO(raw))
    if content.get("format") != FILE_FORMAT:
        raise ModelFileError(f"{path.name} has an unknown format")
    return LoadedModel(
        main=content["main"],
        fair=content["fair"],
        thresholds=content["thresholds"],
        holidays=content["holidays"],
    )
