import pytest

from tests.analytics.noshow_helpers import noshow_model_dir  # noqa: F401 (a fixture)


@pytest.fixture(autouse=True)
def _model_files_in_a_temporary_folder(noshow_model_dir):  # noqa: F811
    """Every analytics test writes model files under its own temporary folder."""
    return noshow_model_dir
