from tests.analytics.noshow_helpers import noshow_model_dir  # noqa: F401 (a fixture)
