"""Many stored records scored in one call (``CreditModel.score_records``, the re-scoring's
path) give what the client page's path gives each of them, whatever the record's shape."""

from __future__ import annotations

import numpy as np
import pytest

from ml.credit.data import find_application_file
from ml.credit.features import records_to_columns
from ml.credit.schema import load_applications


@pytest.fixture(scope="module")
def stored_records():
    """60 real applications as the portal stores them (missing values absent)."""
    frame = load_applications(find_application_file("test")).iloc[:60]
    return [{k: v for k, v in row.items() if v is not None and v == v}
            for row in frame.to_dict(orient="records")]


def test_batch_equals_one_by_one(credit_model, stored_records):
    records = [dict(r) for r in stored_records]
    records[0]["NAME_CONTRACT_TYPE"] = "  Cash loans "  # spaces around a category
    records[1]["ORGANIZATION_TYPE"] = "XNA"  # Home Credit's "not available"
    records[2] = {"SK_ID_CURR": 1}  # nothing known but the ID
    records[3]["AMT_CREDIT"] = 450000  # a whole number stored as an int
    batch = credit_model.score_records(records)
    single = [credit_model.explain(r).probability for r in records]
    np.testing.assert_allclose(batch, single, rtol=0, atol=1e-6)


def test_protected_fields_never_reach_the_columns(credit_model, stored_records):
    columns = records_to_columns(stored_records, exclude=credit_model.protected)
    assert not set(credit_model.protected) & set(columns)
    changed = [dict(r, CODE_GENDER="F" if r.get("CODE_GENDER") == "M" else "M")
               for r in stored_records]
    np.testing.assert_array_equal(credit_model.score_records(stored_records),
                                  credit_model.score_records(changed))


def test_text_where_a_number_belongs_reads_as_missing(credit_model, stored_records):
    record = dict(stored_records[0], AMT_ANNUITY="unknown")
    columns = records_to_columns([record])
    assert np.isnan(columns["AMT_ANNUITY"][0])
    without = {k: v for k, v in stored_records[0].items() if k != "AMT_ANNUITY"}
    assert credit_model.score_records([record])[0] == \
        pytest.approx(credit_model.score_records([without])[0])
