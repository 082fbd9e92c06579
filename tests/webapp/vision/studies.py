"""A small-ViT study with the keys ``ml.vision.study.run_study`` writes (figures chosen for
the tests; its conclusion worded by the study's own code), for the study page's tests."""

from __future__ import annotations

from ml.vision.study_conclusion import conclusion


def _variant(validation: float, test: float, auc: float, gap: float, seconds: float,
             cpu: float, parameters: int, **switches: bool) -> dict:
    curve = [round(validation * k / 3, 4) for k in (1, 2, 3)]
    return {"spt": False, "lsa": False, "distillation": False, "sam": False, **switches,
            "parameters": parameters, "train_seconds": seconds, "train_cpu_seconds": cpu,
            "gradient_evaluations": 30, "validation": {"accuracy": validation,
                                                       "macro_auc": auc - 0.01},
            "test": {"accuracy": test, "macro_auc": auc}, "train_accuracy": validation + gap,
            "generalisation_gap": gap,
            "curves": {"loss": [2.0, 1.5, 1.2], "train_accuracy": curve,
                       "validation_accuracy": curve}}


def make_study() -> dict:
    """A study with the keys ``ml.vision.study.run_study`` writes, its conclusion worded by
    the study's own code."""
    study = {
        "created": "2026-12-01T21:04:05+00:00", "command": "python -m ml.vision study",
        "machine": {"cpus": 2, "processor": "x86_64", "load_average_at_end": 2.5},
        "photos": {"train": 658, "validation": 142, "test": 142}, "views_per_photo": 6,
        "model": {"image_size": 64}, "sam_applied_to": "plain",
        "sam_choice": {"en": "SAM goes on the plain ViT.", "fr": "SAM va sur le ViT simple."},
        "variants": {
            "plain": _variant(0.4225, 0.4085, 0.781, 0.2113, 101.5, 190.2, 455_000),
            "spt_lsa": _variant(0.4718, 0.4648, 0.8123, 0.1479, 130.1, 250.3, 471_000,
                                spt=True, lsa=True),
            "spt_lsa_deit": _variant(0.5352, 0.5211, 0.8456, 0.0915, 135.7, 260.8, 471_100,
                                     spt=True, lsa=True, distillation=True),
            "sam": _variant(0.4366, 0.4225, 0.7902, 0.1831, 198.4, 371.9, 455_000, sam=True),
        },
        "comparisons": [
            {"trick": "spt_lsa", "variant": "spt_lsa", "against": "plain",
             "delta_validation": 0.0493, "delta_test": 0.0563, "delta_pooled": 0.0528,
             "pooled_photos": 284, "ci95_pooled": [0.0106, 0.0951], "verdict": "gain"},
            {"trick": "distillation", "variant": "spt_lsa_deit", "against": "spt_lsa",
             "delta_validation": 0.0634, "delta_test": 0.0563, "delta_pooled": 0.0599,
             "pooled_photos": 284, "ci95_pooled": [0.0176, 0.1021], "verdict": "gain"},
            {"trick": "sam", "variant": "sam", "against": "plain",
             "delta_validation": 0.0141, "delta_test": 0.0141, "delta_pooled": 0.0141,
             "pooled_photos": 284, "ci95_pooled": [-0.0282, 0.0563], "verdict": "noise"},
        ],
        "served_vit_test_accuracy": 0.8099,
    }
    study["conclusion"] = conclusion(study)
    return study
