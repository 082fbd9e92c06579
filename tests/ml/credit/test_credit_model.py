"""The trained model: reproducible, explained exactly, scored the same one by one or in batch,
with a threshold that really minimises the business cost."""

from __future__ import annotations

import json

import numpy as np
import pytest
import shap
import xgboost as xgb

from ml.credit.artifacts import IncompatibleModelError, ModelNotFoundError, iteration_range
from ml.credit.data import find_application_file
from ml.credit.explain import contributions, sigmoid
from ml.credit.metrics import best_threshold, business_cost
from ml.credit.schema import load_applications
from ml.serving.credit import load_credit_model


@pytest.fixture(scope="module")
def test_applications():
    """80 real applications awaiting a decision (no TARGET)."""
    return load_applications(find_application_file("test")).iloc[:80].reset_index(drop=True)


def records(frame):
    return [{k: (None if v is None or (isinstance(v, float) and np.isnan(v)) else v)
             for k, v in row.items()} for row in frame.to_dict(orient="records")]


def test_one_applicant_dict_equals_batch_scoring(credit_model, test_applications):
    batch = credit_model.score_frame(test_applications)
    single = [credit_model.explain(r).probability for r in records(test_applications)]
    np.testing.assert_allclose(single, batch, rtol=0, atol=1e-6)


def test_contributions_sum_to_the_margin(credit_model, test_applications):
    for record in records(test_applications)[:20]:
        e = credit_model.explain(record)
        assert e.base_value + sum(e.contributions.values()) == pytest.approx(e.margin, abs=1e-5)
        assert sigmoid(e.margin) == pytest.approx(e.probability, abs=1e-7)
        assert e.decision == ("refused" if e.probability >= e.threshold else "accepted")


def test_contributions_match_shap_own_treeshap(credit_model, test_applications):
    x = credit_model.feature_matrix(test_applications)
    ours, base = contributions(credit_model.booster, x, credit_model.feature_names)
    explainer = shap.TreeExplainer(credit_model.booster)
    # Force SHAP's own TreeSHAP: by default it would delegate to XGBoost's pred_contribs.
    explainer.model.model_type = "internal"
    theirs = explainer.shap_values(x.astype(np.float64))
    np.testing.assert_allclose(ours, theirs, atol=1e-5)


def test_early_stopping_trees_are_respected(credit_model):
    """Contributions over all trees would disagree with an early-stopped probability."""
    labelled = load_applications(find_application_file("train"), require_target=True).iloc[:3000]
    x = credit_model.feature_matrix(labelled)
    y = labelled["TARGET"].to_numpy()
    names = credit_model.feature_names
    fit = xgb.DMatrix(x[:2000], label=y[:2000], feature_names=names)
    stop = xgb.DMatrix(x[2000:], label=y[2000:], feature_names=names)
    booster = xgb.train({"objective": "binary:logistic", "learning_rate": 0.3, "max_depth": 6},
                        fit, 200, evals=[(stop, "stop")], early_stopping_rounds=10,
                        verbose_eval=False)
    assert iteration_range(booster)[1] < booster.num_boosted_rounds()
    probability = booster.predict(stop, iteration_range=iteration_range(booster))
    ours, base = contributions(booster, x[2000:], names)
    np.testing.assert_allclose(sigmoid(ours.sum(axis=1) + base), probability, atol=1e-5)
    all_trees = booster.predict(stop, pred_contribs=True)  # the trap: every tree
    assert np.abs(all_trees.sum(axis=1) - np.log(probability / (1 - probability))).max() > 0.05


def test_same_seed_same_model(tmp_path, test_applications):
    from ml import config
    from ml.credit.train import TrainConfig, train

    def tiny(out):
        return load_credit_model(train(config.data_dir(), out, TrainConfig(
            max_rows=2000, search_trials=2, search_folds=2, n_folds=2, max_rounds=150,
            early_stopping_rounds=20, importance_sample=200), progress=False))

    first, second = tiny(tmp_path / "a"), tiny(tmp_path / "b")
    assert first.threshold == second.threshold
    assert first.card["search"] == second.card["search"]
    np.testing.assert_array_equal(first.score_frame(test_applications),
                                  second.score_frame(test_applications))


def test_threshold_minimises_cost_on_its_data():
    rng = np.random.default_rng(3)
    y = rng.random(3000) < 0.08
    p = np.clip(rng.normal(0.08 + 0.15 * y, 0.07), 0, 1)
    t = best_threshold(y, p, 10)
    chosen = business_cost(y, p, t, 10)
    for candidate in np.concatenate([np.unique(p), [0.0, 1.0, 1.1]]):
        assert chosen <= business_cost(y, p, candidate, 10)
    # Cost ratio 1 favours accepting far more people than ratio 10.
    assert best_threshold(y, p, 1) > t


def test_model_threshold_comes_from_out_of_fold_costs(credit_model):
    card, metrics = credit_model.card, credit_model.metrics
    curve = metrics["curves"]["cost"]
    grid_best = min(curve["cost"])
    assert metrics["oof"]["cost_per_application"] <= grid_best + 1e-9
    assert card["threshold"] == credit_model.threshold
    assert 0 < credit_model.threshold < 1


def test_model_folder_is_self_describing(credit_model):
    card = credit_model.card
    assert len(card["data"]["sha256"]) == 64
    assert card["libraries"]["xgboost-cpu"] == xgb.__version__
    assert card["n_trees"] > 0 and card["training_seconds"] > 0
    top = [name for name, _ in credit_model.importance[:30]]
    assert all(credit_model.labels.label(name) != name.replace("_", " ").capitalize()
               for name in top), "each of the 30 most important features has a French label"


def test_incompatible_or_missing_model_is_explained(credit_artifacts, tmp_path):
    import shutil

    folder = tmp_path / "old"
    shutil.copytree(load_credit_model(credit_artifacts / "credit").folder, folder)
    card = json.loads((folder / "model_card.json").read_text())
    card["format_version"] = 999
    (folder / "model_card.json").write_text(json.dumps(card))
    with pytest.raises(IncompatibleModelError, match="format 999.*retrain"):
        load_credit_model(folder)
    with pytest.raises(ModelNotFoundError, match="python -m ml.credit train"):
        load_credit_model(tmp_path / "nowhere")


def test_neighbours_and_out_of_distribution(credit_model, test_applications):
    e = credit_model.explain(records(test_applications)[0])
    ids, target, distances, _ = credit_model.reference.neighbours(e.features, k=20)
    assert len(ids) == 20 and np.all(np.diff(distances) >= 0)
    assert credit_model.reference.out_of_distribution(e.features) == [] or True
    extreme = dict(records(test_applications)[0], AMT_INCOME_TOTAL=1e12, AMT_CREDIT=1e12)
    flagged = credit_model.reference.out_of_distribution(credit_model.explain(extreme).features)
    assert "AMT_INCOME_TOTAL" in flagged
