"""Fixtures of the credit tests: the session's small model (``credit_artifacts``, from
``tests/conftest.py``), loaded as the web process loads it."""

from __future__ import annotations

import pytest

from ml import config as ml_config


@pytest.fixture(scope="session")
def credit_model(credit_artifacts):
    """The session's test model, loaded through ``ml.serving.credit``."""
    from ml.serving.credit import load_credit_model

    return load_credit_model(ml_config.credit_artifacts_dir(credit_artifacts))
