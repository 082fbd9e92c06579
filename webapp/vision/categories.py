"""The product categories and the training steps of the image models, in the page's language.

The models name the seven Flipkart categories in English (``metadata.json``); the pages show
them in French or English from this table (the model's label still travels in forms, e.g. the
occlusion request). The study page's training steps and settings come from ``report.json``
(English): the known ones are translated here, an unknown one is shown as written, marked
English.
"""

from __future__ import annotations

import re

from ..i18n import current_language

#: The model's label -> (French, English).
CATEGORIES: dict[str, tuple[str, str]] = {
    "Baby Care": ("Puériculture", "Baby care"),
    "Beauty and Personal Care": ("Beauté et soins du corps", "Beauty and personal care"),
    "Computers": ("Informatique", "Computers"),
    "Home Decor & Festive Needs": ("Décoration et fêtes", "Home decor and festive needs"),
    "Home Furnishing": ("Linge de maison et ameublement", "Home furnishing"),
    "Kitchen & Dining": ("Cuisine et arts de la table", "Kitchen and dining"),
    "Watches": ("Montres", "Watches"),
}

#: Training steps and settings of ``report.json`` -> French (stripped of leading spaces).
STEPS_FR: dict[str, str] = {
    "frozen Lite0, logistic regression on pooled features":
        "Lite0 figé, régression logistique sur les caractéristiques moyennées",
    "+ mirror views, Keras linear head (AdamW, label smoothing)":
        "+ vues miroir, tête linéaire Keras (AdamW, lissage des étiquettes)",
    "+ mirror test-time augmentation (2 passes per photo)":
        "+ augmentation miroir au test (2 passages par photo)",
    "frozen DINOv2, logistic regression on (CLS, mean patch)":
        "DINOv2 figé, régression logistique sur (CLS, moyenne des patches)",
    "+ extra views (mirror; + augmented with --fine-tune)":
        "+ vues supplémentaires (miroir ; + augmentées avec --fine-tune)",
    "+ Keras linear head (AdamW, label smoothing)":
        "+ tête linéaire Keras (AdamW, lissage des étiquettes)",
    "+ blocks 10-11 fine-tuned on cached tokens: class head alone":
        "+ blocs 10-11 affinés sur les jetons en cache : tête de classe seule",
    "distillation head alone (EfficientNet soft targets)":
        "tête de distillation seule (cibles souples de l'EfficientNet)",
    "+ DeiT distillation: both heads averaged (the exported model)":
        "+ distillation DeiT : moyenne des deux têtes (le modèle exporté)",
    "fine-tuning (trained jointly with the distillation head)":
        "affinage (entraîné avec la tête de distillation)",
    "blocks 11-15 + head conv + linear head; batch norm frozen":
        "blocs 11-15 + convolution de tête + tête linéaire ; normalisation de batch figée",
    "blocks 10-11 + final norm + heads": "blocs 10-11 + normalisation finale + têtes",
    "categorical_crossentropy (+ KL to the EfficientNet on the distillation head)":
        "categorical_crossentropy (+ KL vers l'EfficientNet sur la tête de distillation)",
    "--fine-tune: blocks 11-15 + head conv trained":
        "--fine-tune : blocs 11-15 + convolution de tête entraînés",
}

#: Steps whose text carries a number (views, seeds, blocks): pattern -> French template.
STEP_PATTERNS_FR: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^\+ mirror views, Keras linear head \(AdamW, label smoothing\), "
                r"(?P<n>\d+) seeds averaged$"),
     "+ vues miroir, tête linéaire Keras (AdamW, lissage des étiquettes), moyenne de "
     "{n} initialisations"),
    (re.compile(r"^\+ (?P<n>\d+) random view\(s\) per photo \(zoom, rotation, contrast, "
                r"erasing\)$"),
     "+ {n} vue(s) aléatoire(s) par photo (zoom, rotation, contraste, effacement)"),
    (re.compile(r"^\+ (?P<n>\d+) extra view\(s\) per photo \(mirror first\)$"),
     "+ {n} vue(s) supplémentaire(s) par photo (le miroir d'abord)"),
    (re.compile(r"^blocks (?P<n>\d+)-11 fine-tuned on cached tokens: class head alone$"),
     "blocs {n}-11 affinés sur les jetons en cache : tête de classe seule"),
    (re.compile(r"^\+ blocks (?P<n>\d+)-11 fine-tuned with DeiT distillation: both heads "
                r"averaged$"),
     "+ blocs {n}-11 affinés avec la distillation DeiT : moyenne des deux têtes"),
)


def category_name(label: str, lang: str | None = None) -> str:
    """A category in the page's language (a label the table does not know, as it is)."""
    names = CATEGORIES.get(label)
    if names is None:
        return label
    return names[1] if (lang or current_language()) == "en" else names[0]


def category_names(lang: str | None = None) -> dict[str, str]:
    """Every dataset category -> its name in ``lang`` (default: the page's language)."""
    return {label: category_name(label, lang) for label in CATEGORIES}


def category_aliases() -> dict[str, str]:
    """Every French and English name of a category -> the dataset's name (the labels a
    folder of photos to evaluate may use)."""
    return {name: label for label, names in CATEGORIES.items() for name in names}


def step_text(text: str, lang: str | None = None) -> tuple[str, str]:
    """A training step or setting in the page's language: ``(text, its language)``."""
    language = lang or current_language()
    stripped = text.strip()
    if language != "fr":
        return stripped, "en"
    if stripped in STEPS_FR:
        return STEPS_FR[stripped], "fr"
    for pattern, template in STEP_PATTERNS_FR:
        match = pattern.match(stripped)
        if match:
            return template.format(**match.groupdict()), "fr"
    return stripped, "en"
