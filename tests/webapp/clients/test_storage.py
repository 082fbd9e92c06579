"""Stored records: compressed JSON that gives back the same application."""

from __future__ import annotations

import math

from webapp.clients.storage import client_columns, decode_record, encode_record


def test_round_trip_drops_missing_values_only():
    record = {"SK_ID_CURR": 100001, "AMT_CREDIT": 568800.0, "EXT_SOURCE_1": math.nan,
              "NAME_CONTRACT_TYPE": "Cash loans", "OCCUPATION_TYPE": None,
              "REGION_POPULATION_RELATIVE": 0.018850000000000002}
    back = decode_record(encode_record(record))
    assert back == {"SK_ID_CURR": 100001, "AMT_CREDIT": 568800,
                    "NAME_CONTRACT_TYPE": "Cash loans",
                    "REGION_POPULATION_RELATIVE": 0.018850000000000002}


def test_client_columns():
    columns = client_columns({"AMT_CREDIT": 1000.0, "DAYS_BIRTH": -14000.0,
                              "NAME_EDUCATION_TYPE": "Higher education"})
    assert columns["credit_amount"] == 1000.0 and columns["days_birth"] == -14000
    assert columns["education"] == "Higher education" and columns["income_total"] is None
