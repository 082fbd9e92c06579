"""Everything the image pages use, in one place: the routes (``/image``, ``/image/etude``,
the JSON endpoint), safe photo input, saliency overlays, the gallery of test photos, the
presentation of a classification and of the comparison study."""
