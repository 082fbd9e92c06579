"""A credit decision in words: the score, the distance to the threshold, and the main
reasons for and against, each quoting the applicant's value.

Pure functions of the loaded credit model (:class:`~ml.serving.credit.CreditModel`), an
applicant's raw record, in the language of the request (gettext for sentences, the data label
table for names). Explanations are cached per process by the record's content, so the
decision, reasons and what-if of one page score once.
"""

from __future__ import annotations

import json
import math
import threading
from bisect import bisect_right
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _

from ml.serving.credit import CreditModel, Explanation

from ..clients.storage import numeric_field
from ..i18n import current_language
from ..ui import formatting as fmt

TOP_REASONS = 4
_CACHE_SIZE = 1024
_cache: OrderedDict[tuple[str, str], Explanation] = OrderedDict()
_cache_lock = threading.Lock()


def record_key(record: Mapping[str, Any]) -> str:
    """A stable text key of a raw record (missing values dropped)."""
    present = {k: v for k, v in record.items()
               if v is not None and not (isinstance(v, float) and math.isnan(v))}
    return json.dumps(present, sort_keys=True, default=str)


def explain(model: CreditModel, record: Mapping[str, Any]) -> Explanation:
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


def feature_label(model: CreditModel, feature: str) -> str:
    """A feature's name in the reader's language."""
    return model.labels.label(feature, current_language())


# --- values in words -------------------------------------------------------------------

def feature_value(model: CreditModel, feature: str, explanation: Explanation,
                  record: Mapping[str, Any]) -> str:
    """The value the model saw for ``feature``, formatted for a person."""
    kind = model.labels.kind(feature)
    if kind == "category":
        raw = record.get(feature)
        return model.labels.category_value(feature, raw if isinstance(raw, str) and raw else None,
                                           current_language())
    value = explanation.features.get(feature)
    if fmt.is_missing(value):
        return fmt.missing()
    return format_kind(kind, float(value))


def format_kind(kind: str, value: float) -> str:
    """A number formatted by its kind (money, years, percent, ratio, score, flag, ...)."""
    if kind == "money":
        return fmt.money(value)
    if kind == "years":
        return fmt.years(value, None, 1 if abs(value) < 10 else 0)
    if kind == "percent":
        return fmt.percent(value)
    if kind == "ratio":
        return fmt.times(value)
    if kind == "score":
        return fmt.fixed(value, None, 2)
    if kind == "flag":
        return _("oui") if value >= 0.5 else _("non")
    if kind == "hour":
        return f"{int(value)} h"
    if kind in ("count", "rating"):
        return fmt.number(value, None, 1)
    return fmt.number(value, None, 3 if abs(value) < 1 else 2)


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


def context(model: CreditModel, feature: str, explanation: Explanation,
            record: Mapping[str, Any]) -> str:
    """What puts the value in perspective: a ratio to income, or a position among clients."""
    income = numeric_field(record, "AMT_INCOME_TOTAL")
    credit = numeric_field(record, "AMT_CREDIT")
    annuity = numeric_field(record, "AMT_ANNUITY")
    goods = numeric_field(record, "AMT_GOODS_PRICE")
    if feature in ("AMT_CREDIT", "CREDIT_TO_INCOME") and credit and income:
        return _("%(times)s le revenu annuel", times=fmt.times(credit / income))
    if feature in ("AMT_ANNUITY", "ANNUITY_TO_INCOME") and annuity and income:
        return _("%(share)s du revenu annuel", share=fmt.percent(annuity / income))
    if feature in ("AMT_GOODS_PRICE", "GOODS_TO_CREDIT", "CREDIT_MINUS_GOODS") and goods and credit:
        return _("le crédit couvre %(share)s du prix du bien", share=fmt.percent(credit / goods))
    if feature in ("PAYMENT_RATE", "CREDIT_TERM") and credit and annuity:
        return _("environ %(n)s échéances (hors intérêts)", n=fmt.number(credit / annuity))
    try:
        histogram = model.reference.histogram(feature)
    except KeyError:
        return ""
    if "categories" in histogram:
        return _category_context(model, feature, histogram, record)
    value = explanation.features.get(feature)
    if fmt.is_missing(value):
        return _("information absente du dossier")
    share = percentile(histogram, float(value))
    if share is None:
        return ""
    if 0.4 <= share <= 0.6:
        return _("dans la moyenne des clients")
    if share > 0.5:
        return _("plus élevé que %(share)s des clients", share=fmt.percent(share, None, 0))
    return _("plus faible que %(share)s des clients", share=fmt.percent(1 - share, None, 0))


def _category_context(model: CreditModel, feature: str, histogram: Mapping[str, list],
                      record: Mapping[str, Any]) -> str:
    raw = record.get(feature)
    categories = histogram["categories"]
    if raw not in categories:
        return ""
    index = categories.index(raw)
    seen = histogram["repaid"][index] + histogram["defaulted"][index]
    if not seen:
        return ""
    rate = histogram["defaulted"][index] / seen
    return _("%(rate)s de défauts dans ce groupe (moyenne : %(overall)s)",
             rate=fmt.percent(rate), overall=fmt.percent(model.reference.default_rate))


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
        text = _("%(label)s : %(value)s", label=self.label, value=self.value)
        return f"{text} — {self.context}" if self.context else text

    def as_dict(self) -> dict[str, Any]:
        """JSON form (API)."""
        return {"feature": self.feature, "label": self.label, "value": self.value,
                "direction": self.direction, "contribution": self.contribution,
                "text": self.sentence}


#: A group of clients "defaults more" (or less) than average beyond this ratio.
_CLEAR_GAP = 1.15
#: Fewer reference clients than this in the applicant's group: no opinion.
_MIN_GROUP = 30


def population_direction(model: CreditModel, feature: str, explanation: Explanation,
                         record: Mapping[str, Any]) -> str | None:
    """How the applicant's value reads on its own among all clients: ``"against"`` when
    clients with that value (same bin, or same category) default clearly more often than the
    average client, ``"for"`` when clearly less, ``None`` when near the average or unknown."""
    try:
        histogram = model.reference.histogram(feature)
    except KeyError:
        return None
    if "categories" in histogram:
        raw = record.get(feature)
        if raw not in histogram["categories"]:
            return None
        index = histogram["categories"].index(raw)
    else:
        value = explanation.features.get(feature)
        edges = histogram.get("edges")
        if fmt.is_missing(value) or not edges:
            return None
        index = min(max(bisect_right(edges, float(value)) - 1, 0), len(edges) - 2)
    repaid, defaulted = histogram["repaid"][index], histogram["defaulted"][index]
    seen = repaid + defaulted
    overall = model.reference.default_rate
    if seen < _MIN_GROUP or not overall:
        return None
    rate = defaulted / seen
    if rate > overall * _CLEAR_GAP:
        return "against"
    if rate < overall / _CLEAR_GAP:
        return "for"
    return None


def is_listed(model: CreditModel, feature: str, explanation: Explanation,
              record: Mapping[str, Any], direction: str) -> bool:
    """Whether a contribution may be given as a reason in words.

    Two rules keep the sentences honest: a value the applicant did not give is never a reason
    in their favour; and a reason is left out (for the next one) when the applicant's value,
    read on its own among all clients, clearly points the other way (e.g. a low external
    score, whose clients default more, that the model counts in the applicant's favour
    through its interactions with the rest of the file). Such contributions stay in the
    waterfall and its data table.
    """
    if direction == "for" and _is_missing_value(model, feature, explanation, record):
        return False
    seen_as = population_direction(model, feature, explanation, record)
    return seen_as is None or seen_as == direction


def _is_missing_value(model: CreditModel, feature: str, explanation: Explanation,
                      record: Mapping[str, Any]) -> bool:
    if model.labels.kind(feature) == "category":
        raw = record.get(feature)
        return not (isinstance(raw, str) and raw and raw != "XNA")
    return fmt.is_missing(explanation.features.get(feature))


def reasons(model: CreditModel, explanation: Explanation, record: Mapping[str, Any],
            n: int = TOP_REASONS) -> tuple[list[Reason], list[Reason]]:
    """The ``n`` strongest reasons against the applicant and the ``n`` strongest for (the
    contributions that :func:`is_listed` lets through, strongest first; one sentence per
    fact: a reason whose context repeats one already given, e.g. three features that all say
    "the credit covers 100 % of the price", is left out for the next one)."""
    ranked = sorted(explanation.contributions.items(), key=lambda kv: -abs(kv[1]))
    against: list[Reason] = []
    in_favour: list[Reason] = []
    said: set[str] = set()
    for feature, contribution in ranked:
        if contribution == 0:
            continue
        direction = "against" if contribution > 0 else "for"
        bucket = against if contribution > 0 else in_favour
        if len(bucket) >= n:
            if len(against) >= n and len(in_favour) >= n:
                break
            continue
        if not is_listed(model, feature, explanation, record, direction):
            continue
        reason = Reason(feature=feature, label=feature_label(model, feature),
                        value=feature_value(model, feature, explanation, record),
                        context=context(model, feature, explanation, record),
                        contribution=float(contribution), direction=direction)
        if reason.context and reason.context in said:
            continue
        said.add(reason.context)
        bucket.append(reason)
    return against, in_favour


def reason_texts(reason_list: list[Reason]) -> list[str]:
    """The sentences of some reasons (what the decision log keeps)."""
    return [reason.sentence for reason in reason_list]


@dataclass(frozen=True)
class DecisionSummary:
    """The decision as shown: probability, threshold, verdict and its distance in words."""

    probability: float
    threshold: float
    decision: str
    distance_points: float
    sentence: str


def decision_summary(explanation: Explanation) -> DecisionSummary:
    """The verdict and how far the probability lies from the threshold, in words."""
    gap = (explanation.probability - explanation.threshold) * 100
    points = abs(gap)
    values = {"p": fmt.percent(explanation.probability), "t": fmt.percent(explanation.threshold),
              "d": fmt.number(points, None, 1)}
    if gap >= 0:
        if points < 2:
            sentence = _("La probabilité de défaut estimée (%(p)s) est juste au-dessus du seuil "
                         "de %(t)s, soit un écart de %(d)s point.", **values)
        elif points >= 10:
            sentence = _("La probabilité de défaut estimée (%(p)s) est nettement au-dessus du "
                         "seuil de %(t)s, soit un écart de %(d)s points.", **values)
        else:
            sentence = _("La probabilité de défaut estimée (%(p)s) est au-dessus du seuil de "
                         "%(t)s, soit un écart de %(d)s points.", **values)
    elif points < 2:
        sentence = _("La probabilité de défaut estimée (%(p)s) est juste en dessous du seuil "
                     "de %(t)s, soit un écart de %(d)s point.", **values)
    elif points >= 10:
        sentence = _("La probabilité de défaut estimée (%(p)s) est nettement en dessous du "
                     "seuil de %(t)s, soit un écart de %(d)s points.", **values)
    else:
        sentence = _("La probabilité de défaut estimée (%(p)s) est en dessous du seuil de "
                     "%(t)s, soit un écart de %(d)s points.", **values)
    return DecisionSummary(explanation.probability, explanation.threshold,
                           explanation.decision, gap, sentence)
