"""The ViT's attention rollout without DINOv2's artifact tokens (pure numpy, no model)."""

from __future__ import annotations

import numpy as np

from ml.serving.vision import to_map, without_outlier_tokens


def _blob(size: int = 16, centre: tuple[int, int] = (11, 4)) -> np.ndarray:
    rows, cols = np.mgrid[:size, :size]
    return np.exp(-((rows - centre[0]) ** 2 + (cols - centre[1]) ** 2) / 8.0).astype(np.float32)


def test_a_spike_token_no_longer_hides_the_attended_area():
    attention = 0.02 + _blob()  # the product, bottom left
    attention[2, 13] = 10.0  # an artifact token on the background, top right
    assert np.unravel_index(to_map(attention).argmax(), (224, 224))[0] < 112  # the dot wins

    cleaned = without_outlier_tokens(attention)
    peak = np.unravel_index(cleaned.argmax(), cleaned.shape)
    assert peak == (11, 4)
    assert cleaned[2, 13] < 0.1  # the spike took its neighbours' level
    shown = to_map(cleaned)
    assert (shown >= 0.5).mean() > 0.03  # an area, not a dot


def test_a_map_without_spikes_is_left_as_it_is():
    attention = 0.02 + _blob() + 0.5 * _blob(centre=(3, 12))
    np.testing.assert_array_equal(without_outlier_tokens(attention), attention)


def test_a_spike_in_a_corner_is_replaced_too():
    attention = 0.05 + 0.01 * _blob()
    attention[0, 0] = 5.0
    assert without_outlier_tokens(attention)[0, 0] < 0.1
