"""Protected attributes: the model never reads them (nor anything computed from them), and
the model card records what leaving them out costs."""

from __future__ import annotations

import numpy as np
import pytest

from ml.credit.cli import _parser, _train_config
from ml.credit.data import find_application_file
from ml.credit.features import ENGINEERED_INPUTS, features_using, protected_fields
from ml.credit.schema import SchemaError, load_applications
from ml.serving.credit import load_credit_model

AGE_FEATURES = {"AGE_YEARS", "EMPLOYED_TO_AGE", "CAR_AGE_TO_AGE", "PHONE_CHANGE_TO_AGE",
                "REGISTRATION_TO_AGE"}


@pytest.fixture(scope="module")
def applicants():
    """40 real applications awaiting a decision, as the records the portal sends."""
    frame = load_applications(find_application_file("test")).iloc[:40]
    return [{k: (None if v is None or (isinstance(v, float) and np.isnan(v)) else v)
             for k, v in row.items()} for row in frame.to_dict(orient="records")]


@pytest.fixture(scope="module")
def two_field_model(tmp_path_factory):
    """A tiny real model trained with two protected fields, gender and date of birth."""
    from ml import config
    from ml.credit.train import TrainConfig, train

    out = tmp_path_factory.mktemp("protected")
    return load_credit_model(train(config.data_dir(), out, TrainConfig(
        max_rows=2000, search_trials=1, search_folds=2, n_folds=2, max_rounds=150,
        early_stopping_rounds=20, importance_sample=200,
        protected=("CODE_GENDER", "DAYS_BIRTH")), progress=False))


def _names_everywhere(model) -> set[str]:
    """Every name the model and its reference data could show an advisor."""
    info = model.reference.info
    return (set(model.feature_names) | set(model.schema.category_codes)
            | {name for name, _ in model.importance} | set(info["histograms"])
            | set(info["ranges"]) | set(info["population_features"])
            | set(info["neighbour_features"]))


def test_gender_is_protected_by_default(credit_model):
    assert credit_model.protected == ("CODE_GENDER",)
    assert credit_model.card["protected_attributes"] == ["CODE_GENDER"]
    assert "CODE_GENDER" not in _names_everywhere(credit_model)


def test_changing_the_sex_changes_nothing(credit_model, applicants):
    for record in applicants:
        as_woman = credit_model.explain(dict(record, CODE_GENDER="F"))
        as_man = credit_model.explain(dict(record, CODE_GENDER="M"))
        assert as_woman.probability == as_man.probability
        assert as_woman.contributions == as_man.contributions
        assert "CODE_GENDER" not in as_woman.contributions
        assert credit_model.reference.out_of_distribution(as_woman.features) == \
            credit_model.reference.out_of_distribution(as_man.features)


def test_two_protected_fields_take_their_derived_features_with_them(two_field_model,
                                                                   applicants):
    model = two_field_model
    assert model.protected == ("CODE_GENDER", "DAYS_BIRTH")
    names = _names_everywhere(model)
    assert not names & ({"CODE_GENDER", "DAYS_BIRTH"} | AGE_FEATURES)
    assert "EMPLOYMENT_YEARS" in model.feature_names  # DAYS_EMPLOYED alone is still used
    for record in applicants[:15]:
        older = dict(record, DAYS_BIRTH=record["DAYS_BIRTH"] - 3650, CODE_GENDER="M")
        assert model.explain(older).probability == model.explain(record).probability
    # The comparison model had them all back.
    price = model.card["price_of_fairness"]
    assert price["protected_attributes"] == ["CODE_GENDER", "DAYS_BIRTH"]
    assert price["with_protected"]["n_features"] == \
        price["without_protected"]["n_features"] + 1 + len(AGE_FEATURES)


def test_the_card_prices_fairness_on_the_same_folds(credit_model):
    card = credit_model.card
    price = card["price_of_fairness"]
    without, with_ = price["without_protected"], price["with_protected"]
    assert without["n_features"] == credit_model.schema.n_features
    assert with_["n_features"] == without["n_features"] + 1
    assert without["threshold"] == credit_model.threshold
    assert without["oof"]["roc_auc"] == pytest.approx(credit_model.metrics["oof"]["roc_auc"],
                                                      abs=1e-5)
    assert without["test"]["business_cost"] == credit_model.metrics["test"]["business_cost"]
    for side in (without, with_):
        for split in ("oof", "test"):
            figures = side[split]
            assert 0.5 < figures["roc_auc"] < 1
            assert figures["business_cost"] > 0 and 0 < figures["normalized_cost"] < 1.5
            assert figures["fixed_rule_cost"] > 0
    assert f"{card['config']['n_folds']} stratified folds" in price["protocol"]


def test_unknown_protected_field_is_refused_with_a_suggestion():
    with pytest.raises(SchemaError, match="'CODE_GENDR'.*did you mean CODE_GENDER"):
        protected_fields(["CODE_GENDR"])
    with pytest.raises(SchemaError, match="SK_ID_CURR"):
        protected_fields(["SK_ID_CURR"])
    assert protected_fields([" CODE_GENDER", "DAYS_BIRTH", "CODE_GENDER"]) == \
        ("CODE_GENDER", "DAYS_BIRTH")


def test_command_line_takes_a_list_of_fields():
    for command in ("train", "prepare"):
        args = _parser().parse_args([command, "--protected", "CODE_GENDER,DAYS_BIRTH"])
        assert _train_config(args).protected == ("CODE_GENDER", "DAYS_BIRTH")
        assert _train_config(_parser().parse_args([command])).protected == ("CODE_GENDER",)
    with pytest.raises(SystemExit):
        _parser().parse_args(["train", "--protected", "GENDER"])


def test_derived_features_know_which_raw_fields_they_read():
    assert ENGINEERED_INPUTS["AGE_YEARS"] == {"DAYS_BIRTH"}
    assert ENGINEERED_INPUTS["CHILDREN_RATIO"] == {"CNT_CHILDREN", "CNT_FAM_MEMBERS"}
    assert set(features_using(["DAYS_BIRTH"])) == AGE_FEATURES
    assert features_using(["CODE_GENDER"]) == []
