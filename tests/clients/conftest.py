from pathlib import Path

import pytest

MINIPROGRAM = Path(__file__).resolve().parents[2] / "miniprogram"


@pytest.fixture
def miniprogram() -> Path:
    return MINIPROGRAM
