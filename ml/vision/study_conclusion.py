"""The study's comparisons and its conclusion, worded from the figures (numpy only).

A trick is credited with a gain only when the paired bootstrap's 95 % interval of its
accuracy difference, over the photos that no choice was made on (validation and test:
the study trains a fixed number of epochs and never selects on validation), lies above
zero; below zero it is a loss; otherwise the difference is within the noise of a few
hundred photos. The conclusion sentences are built from those verdicts and figures, in
French and English, never written in advance.
"""

from __future__ import annotations

import numpy as np

NAMES = {
    "plain": {"en": "the plain ViT", "fr": "le ViT simple"},
    "spt_lsa": {"en": "SPT + LSA", "fr": "SPT + LSA"},
    "spt_lsa_deit": {"en": "SPT + LSA + distillation", "fr": "SPT + LSA + distillation"},
    "sam": {"en": "SAM", "fr": "SAM"},
}
TRICKS = {
    "spt_lsa": {"en": "SPT + LSA (against the plain ViT)",
                "fr": "SPT + LSA (par rapport au ViT simple)"},
    "distillation": {"en": "Distillation from the EfficientNet (on top of SPT + LSA)",
                     "fr": "La distillation depuis l'EfficientNet (en plus de SPT + LSA)"},
    "sam": {"en": "SAM (on the plain ViT)", "fr": "SAM (sur le ViT simple)"},
}
VERDICTS = {
    "gain": {"en": "a measurable gain", "fr": "un gain mesurable"},
    "loss": {"en": "a measurable loss", "fr": "une perte mesurable"},
    "noise": {"en": "within the noise", "fr": "dans le bruit de mesure"},
}


def paired_bootstrap(truth: np.ndarray, correct_a: np.ndarray, correct_b: np.ndarray,
                     n_resamples: int = 2000, seed: int = 0) -> tuple[float, float]:
    """95 % interval of accuracy(a) − accuracy(b) over resamples of the same photos."""
    rng = np.random.default_rng(seed)
    difference = correct_a.astype(np.float64) - correct_b.astype(np.float64)
    draws = rng.integers(0, len(truth), size=(n_resamples, len(truth)))
    means = difference[draws].mean(axis=1)
    low, high = np.quantile(means, [0.025, 0.975])
    return float(low), float(high)


def compare(trick: str, with_it: str, without: str, labels: dict[str, np.ndarray],
            outputs: dict[str, dict[str, np.ndarray]]) -> dict:
    """What ``trick`` bought: accuracy differences (validation, test, both) and a verdict."""
    subsets = ("validation", "test")
    truth = np.concatenate([labels[k] for k in subsets])
    right = {name: np.concatenate([outputs[name][k].argmax(1) for k in subsets]) == truth
             for name in (with_it, without)}
    low, high = paired_bootstrap(truth, right[with_it], right[without])
    deltas = {}
    for subset in subsets:
        hits = {name: outputs[name][subset].argmax(1) == labels[subset]
                for name in (with_it, without)}
        deltas[subset] = round(float(hits[with_it].mean() - hits[without].mean()), 4)
    verdict = "gain" if low > 0 else "loss" if high < 0 else "noise"
    return {"trick": trick, "variant": with_it, "against": without,
            "delta_validation": deltas["validation"], "delta_test": deltas["test"],
            "delta_pooled": round(float(right[with_it].mean() - right[without].mean()), 4),
            "pooled_photos": int(len(truth)), "ci95_pooled": [round(low, 4), round(high, 4)],
            "verdict": verdict}


def _points(value: float, lang: str) -> str:
    text = f"{100 * value:+.1f}"
    return text.replace(".", ",") if lang == "fr" else text


def _pct(value: float, lang: str) -> str:
    text = f"{100 * value:.0f}"
    return f"{text} %" if lang == "fr" else f"{text}%"


def conclusion(study: dict) -> dict[str, str]:
    """A few sentences per language, every figure and verdict taken from ``study``."""
    variants, comparisons = study["variants"], study["comparisons"]
    texts = {}
    for lang in ("en", "fr"):
        sentences = []
        n_train = study["photos"]["train"]
        if "plain" in variants:
            plain = variants["plain"]
            sentences.append(
                (f"Trained from scratch on {n_train} photos, the plain ViT reaches "
                 f"{_pct(plain['test']['accuracy'], lang)} test accuracy, with a "
                 f"train/validation gap of {_points(plain['generalisation_gap'], lang)} points.")
                if lang == "en" else
                (f"Entraîné de zéro sur {n_train} photos, le ViT simple atteint "
                 f"{_pct(plain['test']['accuracy'], lang)} d'exactitude en test, avec un écart "
                 f"entraînement/validation de {_points(plain['generalisation_gap'], lang)} "
                 "points."))
        for item in comparisons:
            interval = " ; ".join(_points(v, lang) for v in item["ci95_pooled"]) \
                if lang == "fr" else " to ".join(_points(v, lang) for v in item["ci95_pooled"])
            if lang == "en":
                sentences.append(
                    f"{TRICKS[item['trick']]['en']}: {_points(item['delta_pooled'], lang)} points "
                    f"on the {item['pooled_photos']} validation and test photos (95% interval "
                    f"{interval}), {VERDICTS[item['verdict']]['en']}.")
            else:
                sentences.append(
                    f"{TRICKS[item['trick']]['fr']} : {_points(item['delta_pooled'], lang)} "
                    f"points sur les {item['pooled_photos']} photos de validation et de test "
                    f"(intervalle à 95 % [{interval}]), {VERDICTS[item['verdict']]['fr']}.")
        sentences.extend(_costs(variants, lang))
        sentences.extend(_against_served(study, lang))
        texts[lang] = " ".join(sentences)
    return texts


def _costs(variants: dict, lang: str) -> list[str]:
    if "sam" not in variants or "plain" not in variants:
        return []
    # CPU seconds where measured: the wall time also counts the neighbours' load.
    key = "train_cpu_seconds" if "train_cpu_seconds" in variants["plain"] else "train_seconds"
    ratio = variants["sam"][key] / max(variants["plain"][key], 1e-9)
    text = f"{ratio:.1f}".replace(".", ",") if lang == "fr" else f"{ratio:.1f}"
    return [f"SAM costs {text}× the plain training's computing time (two gradients per "
            "update)." if lang == "en" else
            f"SAM coûte {text} fois le temps de calcul de l'entraînement simple (deux "
            "gradients par pas)."]


def _against_served(study: dict, lang: str) -> list[str]:
    served = study.get("served_vit_test_accuracy")
    variants = study["variants"]
    if served is None or not variants:
        return []
    best_id = max(variants, key=lambda k: variants[k]["test"]["accuracy"])
    best = variants[best_id]["test"]["accuracy"]
    name = NAMES[best_id][lang]
    if best >= served:
        return [f"The best of them ({name}, {_pct(best, lang)}) matches the pretrained ViT the "
                f"app serves ({_pct(served, lang)})." if lang == "en" else
                f"Le meilleur ({name}, {_pct(best, lang)}) égale le ViT préentraîné que sert "
                f"l'application ({_pct(served, lang)})."]
    gap = _points(served - best, lang).lstrip("+")
    largest = max([abs(c["delta_pooled"]) for c in study["comparisons"]] or [0.0])
    sentence = (f"The best of them ({name}, {_pct(best, lang)}) stays {gap} points below the "
                f"pretrained ViT the app serves ({_pct(served, lang)})" if lang == "en" else
                f"Le meilleur ({name}, {_pct(best, lang)}) reste {gap} points sous le ViT "
                f"préentraîné que sert l'application ({_pct(served, lang)})")
    if served - best > largest:
        sentence += (": at this data size, pretraining matters more than any of these tricks."
                     if lang == "en" else " : à cette taille de données, le préentraînement "
                     "compte plus que n'importe laquelle de ces astuces.")
    else:
        sentence += "." if lang == "en" else "."
    return [sentence]
