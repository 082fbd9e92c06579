"""Loading raw applications: schema errors name the problem; known anomalies are handled."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from ml.credit.auxiliary import aggregate, join, read_table
from ml.credit.data import find_application_file, find_descriptions
from ml.credit.features import fit_feature_schema, frame_to_columns
from ml.credit.labels import read_kaggle_descriptions
from ml.credit.schema import RecordError, SchemaError, load_applications, normalise_record


@pytest.fixture(scope="module")
def raw_train() -> pd.DataFrame:
    """The first 300 real training rows, as raw text cells."""
    path = find_application_file("train")
    return pd.read_csv(path, nrows=300, dtype=str, keep_default_na=False)


def write(tmp_path, frame: pd.DataFrame, name="apps.csv"):
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return path


def test_real_sample_loads_with_types(raw_train, tmp_path):
    frame = load_applications(write(tmp_path, raw_train), require_target=True)
    assert len(frame) == 300
    assert frame["AMT_CREDIT"].dtype == "float64"
    assert set(frame["TARGET"].unique()) <= {0, 1}


def test_missing_required_column_is_named(raw_train, tmp_path):
    path = write(tmp_path, raw_train.drop(columns=["AMT_CREDIT"]))
    with pytest.raises(SchemaError, match="missing required column.*AMT_CREDIT"):
        load_applications(path)


def test_missing_target_is_named_when_required(raw_train, tmp_path):
    path = write(tmp_path, raw_train.drop(columns=["TARGET"]))
    with pytest.raises(SchemaError, match="TARGET"):
        load_applications(path, require_target=True)
    assert len(load_applications(path)) == 300  # fine for scoring


def test_wrong_type_names_column_and_line(raw_train, tmp_path):
    broken = raw_train.copy()
    broken.loc[4, "AMT_INCOME_TOTAL"] = "beaucoup"
    with pytest.raises(SchemaError, match=r"AMT_INCOME_TOTAL must be numeric.*line 6.*beaucoup"):
        load_applications(write(tmp_path, broken))


def test_empty_and_header_only_files(raw_train, tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(SchemaError, match="empty"):
        load_applications(empty)
    with pytest.raises(SchemaError, match="no application"):
        load_applications(write(tmp_path, raw_train.iloc[:0], "header.csv"))


def test_duplicated_id_is_refused(raw_train, tmp_path):
    broken = pd.concat([raw_train, raw_train.iloc[[7]]])
    duplicate = raw_train.iloc[7]["SK_ID_CURR"]
    with pytest.raises(SchemaError, match=f"duplicated SK_ID_CURR {duplicate}"):
        load_applications(write(tmp_path, broken))


def test_target_must_be_binary(raw_train, tmp_path):
    broken = raw_train.copy()
    broken.loc[0, "TARGET"] = "2"
    with pytest.raises(SchemaError, match="TARGET must be 0 or 1"):
        load_applications(write(tmp_path, broken), require_target=True)


def test_known_anomalies(raw_train, tmp_path):
    frame = raw_train.copy()
    frame.loc[0, "DAYS_EMPLOYED"] = "365243"
    frame.loc[0, "ORGANIZATION_TYPE"] = "XNA"
    frame.loc[1, "CODE_GENDER"] = "XNA"
    loaded = load_applications(write(tmp_path, frame), require_target=True)
    assert pd.isna(loaded.loc[0, "ORGANIZATION_TYPE"])
    assert pd.isna(loaded.loc[1, "CODE_GENDER"])
    schema = fit_feature_schema(loaded)
    x = schema.transform(frame_to_columns(loaded))
    names = schema.feature_names
    assert math.isnan(x[0, names.index("EMPLOYMENT_YEARS")])
    assert x[0, names.index("EMPLOYMENT_UNKNOWN")] == 1.0
    assert math.isnan(x[0, names.index("ORGANIZATION_TYPE")])


def test_record_errors_name_each_field():
    with pytest.raises(RecordError) as caught:
        normalise_record({"AMT_CREDIT": "dix mille", "CODE_GENDER": 3, "AMT_ANNUITY": "inf"})
    assert set(caught.value.fields) == {"AMT_CREDIT", "CODE_GENDER", "AMT_ANNUITY"}
    clean = normalise_record({"AMT_CREDIT": "250000", "CODE_GENDER": "XNA"})
    assert clean["AMT_CREDIT"] == 250000.0 and clean["CODE_GENDER"] is None
    assert math.isnan(clean["AMT_INCOME_TOTAL"])  # absent: missing, not an error


def test_column_descriptions_are_read_as_cp1252():
    descriptions = read_kaggle_descriptions(find_descriptions())
    assert "Credit amount" in descriptions["AMT_CREDIT"]
    # The file's 0x85 byte is an ellipsis in cp1252.
    assert any("…" in text for text in descriptions.values())


def test_auxiliary_join_on_partial_samples():
    folder = find_application_file("train").parent
    bureau = read_table("bureau", folder / "bureau_sample.csv")
    instalments = read_table("installments_payments", folder / "installments_payments_sample.csv")
    aggregates = aggregate({"bureau": bureau, "installments_payments": instalments})
    client = int(bureau["SK_ID_CURR"].iloc[0])
    rows = bureau[bureau["SK_ID_CURR"] == client]
    assert aggregates.loc[client, "BUREAU_CREDIT_COUNT"] == len(rows)
    active = (rows["CREDIT_ACTIVE"] == "Active").sum()
    assert aggregates.loc[client, "BUREAU_ACTIVE_COUNT"] == active
    apps = pd.DataFrame({"SK_ID_CURR": [client, 1]})
    joined = join(apps, aggregates)
    assert joined.loc[0, "BUREAU_CREDIT_COUNT"] == len(rows)
    assert np.isnan(joined.loc[1, "BUREAU_CREDIT_COUNT"])  # no history: missing, not zero
