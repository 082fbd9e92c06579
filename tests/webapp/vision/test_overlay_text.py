"""The text that describes a saliency overlay (what a screen reader reads instead of it)."""

from __future__ import annotations

import numpy as np

from webapp.vision.presentation import overlay_view


def test_a_concentrated_map_is_described_as_such(app):
    point = np.zeros((224, 224), dtype=np.float32)
    point[20:24, 200:204] = 1.0
    with app.test_request_context():
        text = overlay_view("rollout", point, "Watches", "vit")["description"]
    assert "en haut à droite" in text and "moins de 1 %" in text and "0 %" not in text


def test_a_broad_map_gives_its_share_of_the_photo(app):
    half = np.zeros((224, 224), dtype=np.float32)
    half[112:, :] = 1.0
    with app.test_request_context():
        text = overlay_view("cam", half, "Watches", "efficientnet")["description"]
    assert "en bas au centre" in text and "couvrent 50 % de la photo" in text
