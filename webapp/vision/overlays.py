"""Saliency maps as pictures a reader can see and read about.

A map (224×224, 0..1, over the photo as the models see it) becomes a transparent PNG
heatmap, laid over the photo in the page (the opacity is the reader's, a CSS slider). The
colour map is viridis: perceptually uniform, readable by colour-blind readers and in grey.
Each map also gets a text description: where its strongest area lies and how much of the
photo it covers, so that no information is in the picture alone.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass

import numpy as np
from PIL import Image

#: Viridis at nine evenly spaced stops (matplotlib's values), interpolated linearly.
_VIRIDIS = np.array([
    (68, 1, 84), (71, 44, 122), (59, 81, 139), (44, 113, 142), (33, 144, 141),
    (39, 173, 129), (92, 200, 99), (170, 220, 50), (253, 231, 37),
], dtype=np.float64)


def viridis(values: np.ndarray) -> np.ndarray:
    """``values`` in 0..1 as ``(..., 3)`` uint8 viridis colours."""
    scaled = np.clip(values, 0.0, 1.0) * (len(_VIRIDIS) - 1)
    low = np.floor(scaled).astype(int)
    high = np.minimum(low + 1, len(_VIRIDIS) - 1)
    weight = (scaled - low)[..., None]
    return (_VIRIDIS[low] * (1 - weight) + _VIRIDIS[high] * weight).round().astype(np.uint8)


#: How :func:`png_data_uri` begins.
PNG_DATA_URI_PREFIX = "data:image/png;base64,"


def png_data_uri(image: Image.Image) -> str:
    """An image as a ``data:image/png;base64,...`` URI (allowed by the CSP's ``img-src``)."""
    buffer = io.BytesIO()
    image.save(buffer, "PNG", optimize=False)
    return PNG_DATA_URI_PREFIX + base64.b64encode(buffer.getvalue()).decode("ascii")


def heatmap_image(saliency: np.ndarray) -> Image.Image:
    """The map as an RGBA heatmap: viridis colours, weak areas more transparent."""
    values = np.clip(np.asarray(saliency, dtype=np.float64), 0.0, 1.0)
    rgba = np.dstack([viridis(values), (80 + 175 * values).astype(np.uint8)])
    return Image.fromarray(rgba, mode="RGBA")


@dataclass
class SaliencySummary:
    """Where a map's strongest area is (row and column thirds, 0..2) and its spread."""

    row: int
    column: int
    coverage: float  # share of the photo above half the peak


def summarise(saliency: np.ndarray) -> SaliencySummary:
    """The centre of mass of the map's strongest area (its top decile, and at least half the
    peak: a map that is zero almost everywhere has a top decile of zeros), in thirds."""
    values = np.asarray(saliency, dtype=np.float64)
    if values.max() <= 0:
        return SaliencySummary(row=1, column=1, coverage=0.0)
    threshold = max(np.quantile(values, 0.9), 0.5 * values.max())
    rows, cols = np.nonzero(values >= threshold)
    height, width = values.shape
    row = min(2, int(3 * rows.mean() / height))
    column = min(2, int(3 * cols.mean() / width))
    coverage = float((values >= 0.5 * values.max()).mean())
    return SaliencySummary(row=row, column=column, coverage=coverage)
