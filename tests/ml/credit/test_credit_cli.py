"""``python -m ml.credit``: the commands other tools call."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest

from ml.credit.data import find_application_file


def run(*args, env_artifacts=None):
    return subprocess.run([sys.executable, "-m", "ml.credit", *map(str, args)],
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def labelled_csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("csv") / "labelled.csv"
    pd.read_csv(find_application_file("train"), nrows=1500).to_csv(path, index=False)
    return path


def test_evaluate_prints_one_json_object(credit_artifacts, labelled_csv):
    result = run("evaluate", labelled_csv, "--model", credit_artifacts / "credit")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["n_rows"] == 1500
    for key in ("roc_auc", "pr_auc", "threshold", "business_cost", "normalized_cost"):
        assert isinstance(report[key], float)
    assert set(report["confusion"]) == {"tn", "fp", "fn", "tp"}
    assert sum(report["confusion"].values()) == 1500
    assert 0.6 < report["roc_auc"] < 1.0


def test_evaluate_rejects_a_csv_without_target(credit_artifacts, labelled_csv, tmp_path):
    unlabelled = tmp_path / "unlabelled.csv"
    pd.read_csv(labelled_csv).drop(columns=["TARGET"]).to_csv(unlabelled, index=False)
    result = run("evaluate", unlabelled, "--model", credit_artifacts / "credit")
    assert result.returncode != 0
    assert "TARGET" in result.stderr and result.stdout == ""


def test_evaluate_rejects_a_missing_file(credit_artifacts, tmp_path):
    result = run("evaluate", tmp_path / "absent.csv", "--model", credit_artifacts / "credit")
    assert result.returncode != 0 and "no such file" in result.stderr
    assert "Traceback" not in result.stderr


def test_score_writes_one_decision_per_row(credit_artifacts, labelled_csv, tmp_path):
    out = tmp_path / "scores.csv"
    result = run("score", labelled_csv, "--out", out, "--model", credit_artifacts / "credit")
    assert result.returncode == 0, result.stderr
    scores = pd.read_csv(out)
    assert list(scores.columns) == ["SK_ID_CURR", "probability", "decision"]
    assert len(scores) == 1500 and set(scores["decision"]) <= {"accepted", "refused"}
    assert scores["probability"].between(0, 1).all()


def test_prepare_keeps_an_existing_model(credit_artifacts):
    result = run("prepare", "--out", credit_artifacts)
    assert result.returncode == 0 and "is ready" in result.stderr


GROUP_KEYS = {"n", "default_rate", "refusal_rate", "false_refusal_rate", "missed_default_rate",
              "approval_ratio", "mean_probability"}


def check_fairness_shape(report: dict, n_rows: int) -> None:
    """The report's contract: every key, every age band, groups adding up to the rows."""
    assert set(report) == {"threshold", "n_rows", "attributes"}
    assert report["n_rows"] == n_rows and 0 < report["threshold"] < 1
    assert list(report["attributes"]) == ["CODE_GENDER", "AGE_BAND", "NAME_FAMILY_STATUS"]
    for attribute in report["attributes"].values():
        assert set(attribute) == {"groups", "min_approval_ratio", "equal_opportunity_gap"}
        assert 0 <= attribute["min_approval_ratio"] <= 1
        assert 0 <= attribute["equal_opportunity_gap"] <= 1
        assert sum(g["n"] for g in attribute["groups"].values()) == n_rows
        for group in attribute["groups"].values():
            assert set(group) == GROUP_KEYS
    assert list(report["attributes"]["AGE_BAND"]["groups"]) == \
        ["<25", "25-34", "35-44", "45-54", "55-64", "65+"]
    assert {"F", "M"} <= set(report["attributes"]["CODE_GENDER"]["groups"])
    assert {"Married", "Single / not married", "Widow"} <= \
        set(report["attributes"]["NAME_FAMILY_STATUS"]["groups"])


def test_fairness_on_the_models_own_predictions(credit_model, credit_artifacts):
    result = run("fairness", "--model", credit_artifacts / "credit")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    check_fairness_shape(report, credit_model.card["split"]["n_train"])
    assert report["threshold"] == credit_model.threshold
    assert report == credit_model.fairness["report"]  # what the model page reads


def test_fairness_on_a_labelled_csv_keeps_xna_apart(credit_artifacts, labelled_csv, tmp_path):
    frame = pd.read_csv(labelled_csv)
    frame.loc[0, "CODE_GENDER"] = "XNA"
    frame.loc[1, "CODE_GENDER"] = None
    path = tmp_path / "with-xna.csv"
    frame.to_csv(path, index=False)
    result = run("fairness", "--data", path, "--model", credit_artifacts / "credit")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    check_fairness_shape(report, 1500)
    genders = report["attributes"]["CODE_GENDER"]["groups"]
    assert genders["XNA"]["n"] == 1 and genders["missing"]["n"] == 1
    assert list(genders)[-1] == "missing"


def test_fairness_rejects_a_csv_without_target(credit_artifacts, labelled_csv, tmp_path):
    unlabelled = tmp_path / "unlabelled.csv"
    pd.read_csv(labelled_csv).drop(columns=["TARGET"]).to_csv(unlabelled, index=False)
    result = run("fairness", "--data", unlabelled, "--model", credit_artifacts / "credit")
    assert result.returncode != 0
    assert "TARGET" in result.stderr and result.stdout == ""
    assert "Traceback" not in result.stderr
