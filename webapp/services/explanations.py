"""A credit decision in words: the score, the distance to the threshold, and the main
reasons for and against, each quoting the applicant's value.

Pure functions of the loaded credit model (``ml.serving.credit.CreditModel``), an applicant's
raw record and the reader's language. Explanations are cached per process by the record's
content, so the decision, reasons and what-if partials of one page score once.
"""

from __future__ import annotations

import json
import math
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from . import formatting as fmt

TOP_REASONS = 4
_CACHE_SIZE = 1024
_cache: OrderedDict[tuple[str, str], Any] = OrderedDict()
_cache_lock = threading.Lock()


def record_key(record: Mapping[str, Any]) -> str:
    """A stable text key of a raw record (missing values dropped)."""
    present = {k: v for k, v in record.items()
               if v is not None and not (isinstance(v, float) and math.isnan(v))}
    return json.dumps(present, sort_keys=True, default=str)


def explain(model: Any, record: Mapping[str, Any]) -> Any:
    """``model.explain(record)``, memoised per model version and record content."""
    key = (str(model.version), record_key(record))
    with _cache_lock:
        hit = _cache.get(key)
        if hit is not None:
            _cache.move_to_end(key)
            return hit
    explanation = model.explain(record)
    with _cache_lock:
        _cache[key] = explanation
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return explanation


def sigmoid(margin: float) -> float:
    """Log-odds to probability."""
    return 1.0 / (1.0 + math.exp(-margin))


# --- values in words -------------------------------------------------------------------

def feature_value(model: Any, feature: str, explanation: Any, record: Mapping[str, Any],
                  lang: str = "fr") -> str:
    """The value the model saw for ``feature``, formatted for a person."""
    kind = model.labels.kind(feature)
    if kind == "category":
        raw = record.get(feature)
        return model.labels.category_value(raw if isinstance(raw, str) and raw else None, lang)
    value = explanation.features.get(feature)
    if fmt.is_missing(value):
        return fmt.MISSING[lang]
    return format_kind(kind, float(value), lang)


def format_kind(kind: str, value: float, lang: str = "fr") -> str:
    """A number formatted by its kind (money, years, percent, ratio, score, flag, ...)."""
    if kind == "money":
        return fmt.money(value, lang)
    if kind == "years":
        return fmt.years(value, lang, 1 if abs(value) < 10 else 0)
    if kind == "percent":
        return fmt.percent(value, lang)
    if kind == "ratio":
        return fmt.times(value, lang)
    if kind == "score":
        return fmt.fixed(value, lang, 2)
    if kind == "flag":
        yes = value >= 0.5
        return ("oui" if yes else "non") if lang == "fr" else ("yes" if yes else "no")
    if kind == "hour":
        return f"{int(value)} h"
    if kind in ("count", "rating"):
        return fmt.number(value, lang, 1)
    return fmt.number(value, lang, 3 if abs(value) < 1 else 2)


def percentile(histogram: Mapping[str, list], value: float) -> float | None:
    """Share of reference clients below ``value`` (linear inside the bin)."""
    edges = histogram.get("edges")
    if not edges or fmt.is_missing(value):
        return None
    counts = [r + d for r, d in zip(histogram["repaid"], histogram["defaulted"], strict=True)]
    total = sum(counts)
    if not total:
        return None
    below = 0.0
    for index, count in enumerate(counts):
        low, high = edges[index], edges[index + 1]
        if value >= high:
            below += count
        elif value > low:
            below += count * (value - low) / (high - low)
    return min(1.0, max(0.0, below / total))


def _raw_number(record: Mapping[str, Any], field: str) -> float | None:
    value = record.get(field)
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def context(model: Any, feature: str, explanation: Any, record: Mapping[str, Any],
            lang: str = "fr") -> str:
    """What puts the value in perspective: a ratio to income, or a position among clients."""
    income = _raw_number(record, "AMT_INCOME_TOTAL")
    credit = _raw_number(record, "AMT_CREDIT")
    annuity = _raw_number(record, "AMT_ANNUITY")
    goods = _raw_number(record, "AMT_GOODS_PRICE")
    fr = lang == "fr"
    if feature in ("AMT_CREDIT", "CREDIT_TO_INCOME") and credit and income:
        return (f"{fmt.times(credit / income, lang)} le revenu annuel" if fr
                else f"{fmt.times(credit / income, lang)} the annual income")
    if feature in ("AMT_ANNUITY", "ANNUITY_TO_INCOME") and annuity and income:
        return (f"{fmt.percent(annuity / income, lang)} du revenu annuel" if fr
                else f"{fmt.percent(annuity / income, lang)} of the annual income")
    if feature in ("AMT_GOODS_PRICE", "GOODS_TO_CREDIT", "CREDIT_MINUS_GOODS") and goods and credit:
        return (f"le crédit couvre {fmt.percent(credit / goods, lang)} du prix du bien" if fr
                else f"the credit covers {fmt.percent(credit / goods, lang)} of the price")
    if feature in ("PAYMENT_RATE", "CREDIT_TERM") and credit and annuity:
        terms = credit / annuity
        return (f"environ {fmt.number(terms, lang)} échéances (hors intérêts)" if fr
                else f"about {fmt.number(terms, lang)} instalments (before interest)")
    try:
        histogram = model.reference.histogram(feature)
    except KeyError:
        return ""
    if "categories" in histogram:
        return _category_context(model, feature, histogram, record, lang)
    value = explanation.features.get(feature)
    if fmt.is_missing(value):
        return ("information absente du dossier" if fr else "not in the application")
    share = percentile(histogram, float(value))
    if share is None:
        return ""
    if 0.4 <= share <= 0.6:
        return "dans la moyenne des clients" if fr else "about average among clients"
    if share > 0.5:
        return (f"plus élevé que {fmt.percent(share, lang, 0)} des clients" if fr
                else f"higher than {fmt.percent(share, lang, 0)} of clients")
    return (f"plus faible que {fmt.percent(1 - share, lang, 0)} des clients" if fr
            else f"lower than {fmt.percent(1 - share, lang, 0)} of clients")


def _category_context(model: Any, feature: str, histogram: Mapping[str, list],
                      record: Mapping[str, Any], lang: str) -> str:
    raw = record.get(feature)
    categories = histogram["categories"]
    if raw not in categories:
        return ""
    index = categories.index(raw)
    seen = histogram["repaid"][index] + histogram["defaulted"][index]
    if not seen:
        return ""
    rate = histogram["defaulted"][index] / seen
    overall = model.reference.default_rate
    if lang == "fr":
        return (f"{fmt.percent(rate, lang)} de défauts dans ce groupe "
                f"(moyenne : {fmt.percent(overall, lang)})")
    return (f"{fmt.percent(rate, lang)} defaults in this group "
            f"(average {fmt.percent(overall, lang)})")


# --- decision and reasons ----------------------------------------------------------------

@dataclass(frozen=True)
class Reason:
    """One feature's part in the decision, said in a sentence."""

    feature: str
    label: str
    value: str
    context: str
    contribution: float
    direction: str  # "against" (raises the risk) | "for" (lowers it)

    @property
    def sentence(self) -> str:
        """``Montant du crédit : 1 350 000 € — 2,4 fois le revenu annuel``."""
        text = f"{self.label} : {self.value}"
        return f"{text} — {self.context}" if self.context else text

    def as_dict(self) -> dict[str, Any]:
        """JSON form (API)."""
        return {"feature": self.feature, "label": self.label, "value": self.value,
                "direction": self.direction, "contribution": self.contribution,
                "text": self.sentence}


def reasons(model: Any, explanation: Any, record: Mapping[str, Any], lang: str = "fr",
            n: int = TOP_REASONS) -> tuple[list[Reason], list[Reason]]:
    """The ``n`` strongest reasons against the applicant and the ``n`` strongest for."""
    ranked = sorted(explanation.contributions.items(), key=lambda kv: -abs(kv[1]))
    against: list[Reason] = []
    in_favour: list[Reason] = []
    for feature, contribution in ranked:
        if contribution == 0:
            continue
        bucket = against if contribution > 0 else in_favour
        if len(bucket) >= n:
            if len(against) >= n and len(in_favour) >= n:
                break
            continue
        bucket.append(Reason(
            feature=feature, label=model.labels.label(feature, lang),
            value=feature_value(model, feature, explanation, record, lang),
            context=context(model, feature, explanation, record, lang),
            contribution=float(contribution),
            direction="against" if contribution > 0 else "for"))
    return against, in_favour


@dataclass(frozen=True)
class DecisionSummary:
    """The decision as shown: probability, threshold, verdict and its distance in words."""

    probability: float
    threshold: float
    decision: str
    distance_points: float
    sentence: str


def decision_summary(explanation: Any, lang: str = "fr") -> DecisionSummary:
    """The verdict and how far the probability lies from the threshold, in words."""
    gap = (explanation.probability - explanation.threshold) * 100
    points = abs(gap)
    p = fmt.percent(explanation.probability, lang)
    t = fmt.percent(explanation.threshold, lang)
    d = fmt.number(points, lang, 1)
    if lang == "fr":
        closeness = ("juste" if points < 2 else "nettement" if points >= 10 else "")
        where = "au-dessus" if gap >= 0 else "en dessous"
        words = f"{closeness} {where}".strip()
        sentence = (f"La probabilité de défaut estimée ({p}) est {words} du seuil de {t}, "
                    f"soit un écart de {d} point{'s' if points >= 2 else ''}.")
    else:
        closeness = ("just" if points < 2 else "well" if points >= 10 else "")
        where = "above" if gap >= 0 else "below"
        words = f"{closeness} {where}".strip()
        sentence = (f"The estimated probability of default ({p}) is {words} the threshold "
                    f"of {t}, a gap of {d} point{'s' if points != 1 else ''}.")
    return DecisionSummary(explanation.probability, explanation.threshold,
                           explanation.decision, gap, sentence)


def api_payload(model: Any, explanation: Any, record: Mapping[str, Any],
                lang: str = "fr") -> dict[str, Any]:
    """The JSON API's answer (without the ID)."""
    against, in_favour = reasons(model, explanation, record, lang)
    return {
        "probability": explanation.probability,
        "threshold": explanation.threshold,
        "decision": explanation.decision,
        "base_value": explanation.base_value,
        "contributions": dict(explanation.contributions),
        "reasons": [r.as_dict() for r in against + in_favour],
        "model_version": str(model.version),
    }
