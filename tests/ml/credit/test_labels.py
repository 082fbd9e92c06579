"""The label table: every raw field, model feature and category value of the data has a
French and an English label (a page in one language never shows the other's words)."""

from __future__ import annotations

import pandas as pd
import pytest

from ml.config import credit_data_dir
from ml.credit import labels
from ml.credit.schema import APPLICATION_COLUMNS, CATEGORICAL_COLUMNS


@pytest.fixture(scope="module")
def category_values() -> dict[str, set[str]]:
    """field -> every value it takes in the shared data (train and test files)."""
    folder = credit_data_dir()
    values: dict[str, set[str]] = {field: set() for field in CATEGORICAL_COLUMNS}
    for name in ("application_train_sample.csv", "application_test_sample.csv"):
        frame = pd.read_csv(folder / name, usecols=list(CATEGORICAL_COLUMNS), dtype=str)
        for field in CATEGORICAL_COLUMNS:
            values[field].update(frame[field].dropna())
    return values


def test_every_category_value_of_the_data_has_both_labels(category_values):
    missing = [(field, value) for field, found in category_values.items() for value in found
               if value not in labels.CATEGORIES.get(field, {})]
    assert not missing, missing
    for field, found in category_values.items():
        for value in found:
            french = labels.category_label(field, value, "fr")
            english = labels.category_label(field, value, "en")
            assert french and english, (field, value)


def test_french_labels_are_french(category_values):
    """The values advisors reported seeing in English on French pages."""
    assert labels.category_label("OCCUPATION_TYPE", "Low-skill Laborers", "fr") \
        == "Ouvrier / ouvrière non qualifié(e)"
    assert labels.category_label("ORGANIZATION_TYPE", "Business Entity Type 3", "fr") \
        == "Entreprise (type 3)"
    assert labels.category_label("ORGANIZATION_TYPE", "Business Entity Type 3", "en") \
        == "Business entity (type 3)"
    assert labels.category_label("CODE_GENDER", None, "fr") == "non renseigné"


def test_every_raw_field_and_model_feature_has_both_labels(credit_model):
    fallback = [name for name in list(APPLICATION_COLUMNS) + credit_model.feature_names
                if name not in labels.FIELDS and name not in labels.FEATURES]
    assert not fallback, fallback  # else the page would show "Amt req credit bureau hour"
    for name in list(APPLICATION_COLUMNS) + credit_model.feature_names:
        assert labels.label(name, "fr").strip() and labels.label(name, "en").strip(), name
    # one definition per name: a raw field is never redefined as a feature
    assert not set(labels.FIELDS) & set(labels.FEATURES)


def test_choices_offer_every_value_but_not_available_in_the_readers_language():
    options = dict(labels.choices("NAME_INCOME_TYPE", "fr"))
    assert options["Working"] == "Salarié(e)" and "Maternity leave" in options
    assert "XNA" not in dict(labels.choices("CODE_GENDER", "en"))
    assert dict(labels.choices("CODE_GENDER", "en"))["F"] == "Woman"
