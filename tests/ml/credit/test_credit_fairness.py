"""The fairness metrics, on hand-made examples whose answers were worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from ml.credit.fairness import (
    AGE_BANDS,
    age_band,
    attribute_report,
    fairness_report,
    flagged_groups,
    group_labels,
    threshold_effects,
)

# Twelve applicants, refused when the probability is at or above 0.20.
#
#   group    target         probability                      refused
#   F        0 0 0 1 1      .05 .10 .30 .40 .08               . . R R .
#   M        0 0 0 0        .25 .01 .02 .50                   R . . R
#   XNA      1              .90                               R
#   missing  0 1            .10 .15                           . .
GENDER = np.array(["F"] * 5 + ["M"] * 4 + ["XNA"] + ["missing"] * 2, dtype=object)
TARGET = np.array([0, 0, 0, 1, 1, 0, 0, 0, 0, 1, 0, 1])
PROBABILITY = np.array([.05, .10, .30, .40, .08, .25, .01, .02, .50, .90, .10, .15])
THRESHOLD = 0.20


def test_each_groups_rates_worked_out_by_hand():
    groups = attribute_report(TARGET, PROBABILITY, THRESHOLD, GENDER, "CODE_GENDER",
                              min_group_size=1)["groups"]
    assert list(groups) == ["F", "M", "XNA", "missing"]  # values sorted, missing last
    f, m, xna, missing = (groups[k] for k in ("F", "M", "XNA", "missing"))
    # F: 2 defaults of 5; 2 refused of 5; 1 of 3 good payers refused (the .30);
    # 1 of 2 defaults accepted (the .08); mean (.05+.10+.30+.40+.08)/5 = .93/5.
    assert f["n"] == 5
    assert f["default_rate"] == pytest.approx(0.4)
    assert f["refusal_rate"] == pytest.approx(0.4)
    assert f["false_refusal_rate"] == pytest.approx(1 / 3, abs=1e-6)
    assert f["missed_default_rate"] == pytest.approx(0.5)
    assert f["mean_probability"] == pytest.approx(0.186)
    # M: no default; 2 of 4 refused, all good payers: 2/4; mean 0.78/4.
    assert m["default_rate"] == 0.0
    assert m["refusal_rate"] == pytest.approx(0.5)
    assert m["false_refusal_rate"] == pytest.approx(0.5)
    assert m["missed_default_rate"] is None  # no default: 0/0 is not a rate
    assert m["mean_probability"] == pytest.approx(0.195)
    # XNA: one default, refused; no good payer.
    assert xna["n"] == 1 and xna["refusal_rate"] == 1.0
    assert xna["false_refusal_rate"] is None and xna["missed_default_rate"] == 0.0
    # missing: nobody refused; its one default is missed.
    assert missing["refusal_rate"] == 0.0 and missing["false_refusal_rate"] == 0.0
    assert missing["missed_default_rate"] == 1.0 and missing["default_rate"] == 0.5


def test_approval_ratios_and_gap_when_every_group_counts():
    report = attribute_report(TARGET, PROBABILITY, THRESHOLD, GENDER, "CODE_GENDER",
                              min_group_size=1)
    groups = report["groups"]
    # Approval rates: F 3/5 = .6, M 2/4 = .5, XNA 0, missing 2/2 = 1 (the reference).
    assert [groups[k]["approval_ratio"] for k in ("F", "M", "XNA", "missing")] == \
        pytest.approx([0.6, 0.5, 0.0, 1.0])
    assert report["min_approval_ratio"] == 0.0
    # False refusal rates: F 1/3, M 1/2, missing 0 (XNA has none): gap 1/2 - 0.
    assert report["equal_opportunity_gap"] == pytest.approx(0.5)


def test_small_groups_are_shown_but_not_compared():
    report = attribute_report(TARGET, PROBABILITY, THRESHOLD, GENDER, "CODE_GENDER",
                              min_group_size=3)
    groups = report["groups"]
    # Only F (5) and M (4) reach 3 applications: F's .6 is the reference.
    assert groups["F"]["approval_ratio"] == 1.0
    assert groups["M"]["approval_ratio"] == pytest.approx(0.5 / 0.6, abs=1e-6)
    assert groups["XNA"]["approval_ratio"] == 0.0  # still shown against the reference
    assert groups["missing"]["approval_ratio"] == pytest.approx(1 / 0.6, abs=1e-6)
    assert report["min_approval_ratio"] == pytest.approx(0.833333, abs=1e-6)
    assert report["equal_opportunity_gap"] == pytest.approx(0.5 - 1 / 3, abs=1e-6)
    full = {"attributes": {"CODE_GENDER": report}}
    assert flagged_groups(full, min_group_size=3) == {"CODE_GENDER": []}  # .83 >= 4/5
    every = {"attributes": {"CODE_GENDER": attribute_report(
        TARGET, PROBABILITY, THRESHOLD, GENDER, "CODE_GENDER", min_group_size=1)}}
    assert flagged_groups(every, min_group_size=1) == {"CODE_GENDER": ["F", "M", "XNA"]}


def test_raw_values_keep_xna_apart_from_missing():
    labels = group_labels(["M", "XNA", None, float("nan"), "  ", " F "])
    assert labels.tolist() == ["M", "XNA", "missing", "missing", "missing", "F"]


def test_age_bands_in_completed_years():
    # 9131 days is 24.9993 years (still 24), 9132 days 25.0021; 23741.25 days is 65 exactly.
    days = np.array([-7700, -9131, -9132, -12783, -12784, -20089, -23741.25, -25000, np.nan])
    assert age_band(days).tolist() == ["<25", "<25", "25-34", "25-34", "35-44", "55-64",
                                       "65+", "65+", "missing"]
    # Every band is listed, in order, even when empty; "missing" only when there is one.
    report = attribute_report(np.zeros(3), np.zeros(3), 0.5, age_band(days[:3]), "AGE_BAND")
    assert list(report["groups"]) == list(AGE_BANDS)
    assert report["groups"]["65+"] == {"n": 0, "default_rate": None, "refusal_rate": None,
                                       "false_refusal_rate": None, "missed_default_rate": None,
                                       "approval_ratio": None, "mean_probability": None}


def test_report_and_threshold_effects():
    report = fairness_report(TARGET, PROBABILITY, THRESHOLD, {"CODE_GENDER": GENDER}, 3)
    assert report["threshold"] == THRESHOLD and report["n_rows"] == 12
    assert sum(g["n"] for g in report["attributes"]["CODE_GENDER"]["groups"].values()) == 12
    effects = threshold_effects(TARGET, PROBABILITY, {"CODE_GENDER": GENDER},
                                thresholds=[0.05, 0.20, 0.95], min_group_size=3)
    f = effects["attributes"]["CODE_GENDER"]["F"]
    # F refused at .05: all five (.05 counts); at .20: .30 and .40; at .95: none.
    assert f["refusal_rate"] == pytest.approx([1.0, 0.4, 0.0])
    assert f["false_refusal_rate"] == pytest.approx([1.0, 1 / 3, 0.0], abs=1e-6)
    # Nobody of F or M approved at .05 except M's .01 and .02: M is the reference there.
    assert f["approval_ratio"][0] == 0.0
    assert effects["attributes"]["CODE_GENDER"]["M"]["approval_ratio"] == [1.0, 0.833333, 1.0]


def test_other_protected_text_fields_are_reported_too():
    from ml.credit.fairness import attribute_groups
    from ml.credit.fairness_data import report_fields

    # A protected text field is reported by value; a numeric one (CNT_CHILDREN) is not.
    fields = report_fields(["CODE_GENDER", "NAME_EDUCATION_TYPE", "CNT_CHILDREN"])
    assert fields == ["CODE_GENDER", "DAYS_BIRTH", "NAME_FAMILY_STATUS", "NAME_EDUCATION_TYPE"]
    groups = attribute_groups({"CODE_GENDER": np.array(["F", "XNA"], dtype=object),
                               "DAYS_BIRTH": np.array([-9000.0, -20000.0]),
                               "NAME_EDUCATION_TYPE": np.array(["Higher education", None],
                                                               dtype=object)})
    assert list(groups) == ["CODE_GENDER", "AGE_BAND", "NAME_EDUCATION_TYPE"]
    assert groups["AGE_BAND"].tolist() == ["<25", "45-54"]
    assert groups["NAME_EDUCATION_TYPE"].tolist() == ["Higher education", "missing"]
