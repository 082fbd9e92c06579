"""The small-ViT study on the study page: what the review's tricks (SPT + LSA, DeiT's
distillation, SAM) buy a ViT trained from scratch on these few photos.

Everything comes from ``study_results(report)`` (``ml.serving.vision_study``): the artifacts'
own study, else the committed reference run, and the page says which. The variants' and
tricks' names and the verdicts are the study's own words in French and English
(``ml.vision.study_conclusion``, numpy only); the conclusion is the study's, in the page's
language. Every chart comes with its numbers as a table.
"""

from __future__ import annotations

import logging
from typing import Any

from flask_babel import gettext as _

from ml.serving.vision_study import study_results
from ml.vision.study_conclusion import NAMES, TRICKS, VERDICTS

from ..i18n import current_language
from ..ui.charts import Chart, layout, percent_suffix
from ..ui.formatting import fixed, percent

log = logging.getLogger(__name__)

#: Okabe–Ito colours of the two bars (validation, test), told apart by pattern too.
SUBSET_STYLES = {"validation": ("#56B4E9", ""), "test": ("#0072B2", "/")}


def _pct(value: float | None) -> str:
    return "—" if value is None else percent(value, current_language(), 1)


def _points(value: float | None) -> str:
    if value is None:
        return "—"
    text = fixed(100 * value, current_language(), 1)
    return text if value < 0 else "+" + text


def variant_name(variant: str) -> str:
    """A variant as a table names it, in the page's language (the study's own phrase, as
    its sentences use it, for a variant this page does not know)."""
    names = {"plain": _("ViT simple"), "spt_lsa": _("SPT + LSA"),
             "spt_lsa_deit": _("SPT + LSA + distillation"), "sam": _("SAM (ViT simple)")}
    return names.get(variant) or NAMES.get(variant, {}).get(current_language(), variant)


def _rows(variants: dict[str, dict]) -> list[dict[str, Any]]:
    rows = []
    for variant, entry in variants.items():
        rows.append({
            "id": variant, "name": variant_name(variant),
            "tricks": [name for name, on in (("SPT + LSA", entry.get("spt") and entry.get("lsa")),
                                             ("DeiT", entry.get("distillation")),
                                             ("SAM", entry.get("sam"))) if on],
            "validation": entry.get("validation", {}).get("accuracy"),
            "test": entry.get("test", {}).get("accuracy"),
            "auc": entry.get("test", {}).get("macro_auc"),
            "validation_auc": entry.get("validation", {}).get("macro_auc"),
            "gap": entry.get("generalisation_gap"),
            "seconds": entry.get("train_seconds"), "cpu_seconds": entry.get("train_cpu_seconds"),
            "parameters": entry.get("parameters"),
        })
    return rows


def _accuracy_chart(rows: list[dict[str, Any]]) -> Chart:
    subsets = {"validation": _("Validation"), "test": _("Test")}
    data = []
    # Horizontal bars (long names, values at the ends); plotly stacks a group's bars from the
    # bottom, so test goes first for validation to read first, as in the table.
    for subset, name in reversed(subsets.items()):
        colour, pattern = SUBSET_STYLES[subset]
        data.append({"type": "bar", "orientation": "h", "name": name,
                     "y": [r["name"] for r in rows][::-1],
                     "x": [None if r[subset] is None else round(100 * r[subset], 1)
                           for r in rows][::-1],
                     "marker": {"color": colour, "pattern": {"shape": pattern}},
                     "text": [_pct(r[subset]) for r in rows][::-1], "textposition": "outside",
                     "cliponaxis": False,
                     "hovertemplate": "%{y} : %{text}<extra>" + name + "</extra>"})
    best = max(rows, key=lambda r: r["test"] or 0.0)
    summary = _("Exactitude de chaque variante, entraînée de zéro ; la meilleure en test est "
                "« %(name)s » (%(test)s en test, %(validation)s en validation).",
                name=best["name"], test=_pct(best["test"]), validation=_pct(best["validation"]))
    return Chart(id="small-vit-accuracy", title=_("Petit ViT : exactitude par variante"),
                 summary=summary,
                 figure={"data": data, "layout": layout(
                     height=380, barmode="group", margin={"l": 10, "r": 40, "t": 40, "b": 50},
                     xaxis={"range": [0, 100], "ticksuffix": percent_suffix(),
                            "title": {"text": _("Exactitude")}},
                     yaxis={"automargin": True},
                     legend={"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom",
                             "traceorder": "reversed"})},
                 columns=[_("Variante"), _("Exactitude (validation)"), _("Exactitude (test)")],
                 rows=[[r["name"], _pct(r["validation"]), _pct(r["test"])] for r in rows])


def _curves_chart(variants: dict[str, dict]) -> Chart | None:
    styles = ("solid", "dash", "dot", "dashdot")
    colours = ("#000000", "#E69F00", "#009E73", "#CC79A7")
    data, table = [], []
    for index, (variant, entry) in enumerate(variants.items()):
        values = (entry.get("curves") or {}).get("validation_accuracy") or []
        if not values:
            continue
        data.append({"type": "scatter", "mode": "lines+markers", "name": variant_name(variant),
                     "x": list(range(1, len(values) + 1)),
                     "y": [round(100 * v, 1) for v in values],
                     "line": {"color": colours[index % 4], "dash": styles[index % 4]}})
        table.append((variant_name(variant), values))
    if not data:
        return None
    epochs = max(len(values) for _name, values in table)
    rows = [[epoch + 1] + [_pct(values[epoch]) if epoch < len(values) else "—"
                           for _name, values in table] for epoch in range(epochs)]
    separator = " ; " if current_language() == "fr" else "; "
    last = separator.join(_("%(name)s : %(value)s", name=name, value=_pct(values[-1]))
                          for name, values in table)
    return Chart(id="small-vit-curves", title=_("Petit ViT : exactitude de validation par "
                                                "époque"),
                 summary=_("Après %(n)s époques : %(last)s.", n=epochs, last=last),
                 figure={"data": data, "layout": layout(
                     # a tick every epoch up to 15, then every 5 or 10: 60 labels overlap
                     xaxis={"title": {"text": _("Époque")},
                            "dtick": 1 if epochs <= 15 else 5 if epochs <= 75 else 10},
                     yaxis={"title": {"text": _("Exactitude (validation)")},
                            "ticksuffix": percent_suffix()})},
                 columns=[_("Époque")] + [name for name, _values in table], rows=rows)


def _comparisons(study: dict) -> list[dict[str, Any]]:
    language = current_language()
    items = []
    for item in study.get("comparisons", []):
        low, high = (item.get("ci95_pooled") or [None, None])[:2]
        items.append({
            "trick": TRICKS.get(item["trick"], {}).get(language, item["trick"]),
            "delta_validation": _points(item.get("delta_validation")),
            "delta_test": _points(item.get("delta_test")),
            "delta_pooled": _points(item.get("delta_pooled")),
            "photos": item.get("pooled_photos"),
            "interval": _("de %(low)s à %(high)s points", low=_points(low), high=_points(high)),
            "verdict": item.get("verdict"),
            "verdict_text": VERDICTS.get(item.get("verdict"), {}).get(language,
                                                                    item.get("verdict")),
        })
    return items


def _source(study: dict) -> str:
    machine = study.get("machine") or {}
    where = _("%(cpus)s cœurs (%(processor)s), charge moyenne en fin d'étude %(load)s",
              cpus=machine.get("cpus", "?"), processor=machine.get("processor", "?"),
              load=("—" if machine.get("load_average_at_end") is None
                    else fixed(machine["load_average_at_end"], current_language(), 2)))
    details = {"date": str(study.get("created", ""))[:10], "command": study.get("command", ""),
               "machine": where}
    if study.get("source") == "artifacts":
        return _("Ces chiffres viennent de l'étude lancée sur les modèles servis ici, le "
                 "%(date)s (commande %(command)s ; machine : %(machine)s).", **details)
    return _("Ces chiffres viennent de l'exécution de référence enregistrée dans le dépôt, "
             "le %(date)s (commande %(command)s ; machine : %(machine)s) : l'étude n'a pas été "
             "relancée sur les modèles servis ici (make run ne la lance pas).", **details)


def small_vit_view(report: dict) -> dict[str, Any] | None:
    """The small-ViT section of the study page (``None`` when no study is available)."""
    try:
        study = study_results(report)
    except (OSError, ValueError) as exc:  # no study in the report and no reference run
        log.warning("no small-ViT study to show: %s", exc)
        return None
    variants = study.get("variants") or {}
    if not variants:
        return None
    rows = _rows(variants)
    language = current_language()
    conclusion = study.get("conclusion") or {}
    return {
        "rows": rows, "photos": study.get("photos", {}),
        "views": study.get("views_per_photo"),
        "model": study.get("model", {}),
        "sam_choice": (study.get("sam_choice") or {}).get(language, ""),
        "charts": [chart for chart in (_accuracy_chart(rows), _curves_chart(variants))
                   if chart is not None],
        "comparisons": _comparisons(study),
        "conclusion": conclusion.get(language) or conclusion.get("en", ""),
        "conclusion_lang": language if conclusion.get(language) else "en",
        "source": study.get("source"), "source_text": _source(study),
    }
