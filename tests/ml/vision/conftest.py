"""Shared by the vision pipeline tests: the real Flipkart folder."""

from __future__ import annotations

import pytest

from ml.config import vision_data_dir as configured_data_dir
from ml.vision.data import CSV_NAME


@pytest.fixture(scope="session")
def vision_data_dir():
    """The real Flipkart folder; the tests that need it are skipped without it."""
    directory = configured_data_dir()
    if not (directory / CSV_NAME).is_file():
        pytest.skip("Flipkart data not available")
    return directory
