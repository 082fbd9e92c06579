"""SHAP contributions in percentage points: one scale factor, bars that add up exactly to the
probability shown, the log-odds kept for the API."""

from __future__ import annotations

import math

import pytest

from webapp.credit.points import (
    points_waterfall,
    probability_points,
    scale_factor,
    sigmoid,
)


def test_points_sum_to_the_change_of_probability_and_keep_their_signs(model, db, seeded_ids):
    from webapp.clients.models import Client
    from webapp.clients.storage import decode_record

    for sk_id in seeded_ids[:20]:
        explanation = model.explain(decode_record(db.session.get(Client, sk_id).raw_record))
        points = probability_points(explanation.base_value, explanation.margin,
                                    explanation.contributions)
        assert sum(points.values()) == pytest.approx(
            explanation.probability - sigmoid(explanation.base_value), abs=1e-9)
        for name, value in explanation.contributions.items():
            assert math.copysign(1, points[name]) == math.copysign(1, value) or value == 0


def test_no_movement_uses_the_slope_of_the_sigmoid():
    assert scale_factor(-2.0, -2.0) == pytest.approx(sigmoid(-2.0) * (1 - sigmoid(-2.0)))
    assert scale_factor(-2.0, -2.0 + 1e-6) == pytest.approx(scale_factor(-2.0, -2.0), rel=1e-5)


@pytest.mark.parametrize("base, steps", [
    (-2.45, [("a", 0.29), ("b", 0.26), ("c", 0.10), ("d", -0.08), ("e", 0.08),
             ("f", -0.07), ("g", -0.07), ("others", 0.43)]),
    (-1.0, [("a", -0.004), ("b", 0.004), ("c", 0.0041)]),
    (0.3, [(str(i), (-1) ** i * 0.0333) for i in range(30)]),
])
def test_rounded_bars_add_up_to_the_rounded_probabilities(base, steps):
    margin = base + sum(value for _name, value in steps)
    shown = points_waterfall(base, margin, steps)
    assert shown.start == round(sigmoid(base) * 100, 1)
    assert shown.end == round(sigmoid(margin) * 100, 1)
    assert round(shown.start * 10) + sum(round(p * 10) for _n, p in shown.steps) \
        == round(shown.end * 10)
    assert [name for name, _p in shown.steps] == [name for name, _v in steps]
    factor = scale_factor(base, margin) * 100
    for (_name, value), (_n, points) in zip(steps, shown.steps, strict=True):
        assert abs(points - value * factor) <= 0.1 + 1e-9  # one tenth at most from exact
