"""The loan's terms: the what-if form (change the terms, see the decision follow) and the
recourse (the smallest change of the terms that would turn a refusal into an acceptance)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ml.serving.credit import Explanation

from ...ui.charts import Chart
from ..forms import WhatIfForm
from ..whatif import Recourse, WhatIfResult, find_recourse, term_of
from .registry import SectionInput


@dataclass(frozen=True)
class WhatIfView:
    """The form (the applicant's own terms, or what was typed) and, after a simulation, its
    result with its gauge and waterfall."""

    form: WhatIfForm
    result: WhatIfResult | None = None
    gauge: Chart | None = None
    waterfall: Chart | None = None


def whatif_form(record: Mapping[str, Any]) -> WhatIfForm:
    """The what-if form filled with the applicant's own terms."""
    data = {name: record.get(name) for name in WhatIfForm.FIELDS if name != "TERM"}
    term = term_of(record)
    data["TERM"] = round(term, 1) if term else None
    return WhatIfForm(formdata=None, data=data)


def build_whatif(section: SectionInput) -> WhatIfView:
    """The what-if form of the section's applicant."""
    return WhatIfView(whatif_form(section.record))


@dataclass(frozen=True)
class RecourseView:
    """The current decision and the recourse found (``None``: accepted, or nothing works)."""

    explanation: Explanation
    recourse: Recourse | None


def build_recourse(section: SectionInput) -> RecourseView:
    """The recourse of the section's applicant."""
    assert section.model is not None
    return RecourseView(section.explanation, find_recourse(section.model, section.record))
