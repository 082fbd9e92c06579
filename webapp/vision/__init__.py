"""Everything the image pages use, in one place: the routes (``/image``, ``/image/etude``,
the JSON endpoint, ``/image/evaluer``: a folder of labelled photos evaluated as a job), safe
photo input, saliency overlays, the gallery of test photos, the presentation of a
classification, of the comparison study and of the small-ViT study."""
