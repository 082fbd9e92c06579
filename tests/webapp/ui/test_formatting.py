"""French number formats and French number parsing."""

from __future__ import annotations

import math

import pytest

from webapp.ui import formatting as fmt
from webapp.ui.fields import parse_number


def test_money_percent_years_in_french_and_english():
    assert fmt.money(1350000, "fr") == "1\u202f350\u202f000\u00a0€"
    assert fmt.money(1350000, "en") == "€1,350,000"
    assert fmt.percent(0.1234, "fr") == "12,3\u00a0%"
    assert fmt.percent(0.1234, "en") == "12.3%"
    assert fmt.years(42, "fr") == "42 ans" and fmt.years(1, "fr") == "1 an"
    assert fmt.times(2.44, "fr") == "2,4 fois"
    assert fmt.money(math.nan, "fr") == "non renseigné"


@pytest.mark.parametrize("text, value", [
    ("1 350 000", 1350000), ("1\u202f350\u202f000,50", 1350000.5), ("12,5", 12.5),
    ("1,350,000", 1350000), ("1.350.000,5", 1350000.5), ("250000 €", 250000), ("-3", -3),
])
def test_parse_number_accepts_what_people_type(text, value):
    assert parse_number(text) == value


@pytest.mark.parametrize("text", ["", "abc", "1e5", "nan", "inf", "1,2,3.4.5x", "--1",
                                  "9" * 100, "0x10"])
def test_parse_number_refuses_the_rest(text):
    with pytest.raises(ValueError):
        parse_number(text)
