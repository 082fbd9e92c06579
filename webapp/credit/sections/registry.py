"""The section registry: every section of the client page declared once.

A :class:`Section` names its builder (a function of :class:`SectionInput` returning the
section's view-model), its partial template, its titles, and whether it comes with the page
or is loaded when scrolled into view. The routes, the page template, the section-only URL and
the tests all read this registry, and there is one render path: ``credit/_section.html``
wraps the partial the same way whether the section comes with the page, is swapped in by htmx
or is opened on its own URL. Adding a section is one :func:`register` call, one builder and
one partial.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from ml.serving.credit import CreditModel, Explanation

from ..applicants import Applicant
from ..explanations import explain


@dataclass
class SectionInput:
    """What a builder gets: the applicant, the loaded model, the request's query arguments
    (e.g. the two variables of the scatter)."""

    applicant: Applicant
    model: CreditModel | None
    args: Mapping[str, str] = field(default_factory=dict)

    @cached_property
    def explanation(self) -> Explanation:
        """The applicant's score and contributions (cached per process by record)."""
        if self.model is None:
            raise RuntimeError("this section needs the credit model")
        return explain(self.model, self.applicant.record)

    @property
    def record(self) -> dict[str, Any]:
        """The applicant's raw Kaggle fields."""
        return self.applicant.record


@dataclass(frozen=True)
class Section:
    """One section of the client page."""

    name: str  # also its HTML id and its URL segment
    title: Any  # the heading (a lazy gettext string)
    toc: Any  # its short name in the page's table of contents
    build: Callable[[SectionInput], Any]  # -> the view-model the partial reads as ``view``
    partial: str  # the template of the section's body
    eager: bool = False  # rendered with the page (else loaded when scrolled into view)
    drafts: bool = True  # shown on unsaved applications too
    needs_model: bool = True  # cannot be built without the credit model
    logged: bool = False  # showing it is an explanation: recorded in the decision log


_REGISTRY: dict[str, Section] = {}


def register(section: Section, *, before: str | None = None) -> Section:
    """Declare a section (at the end of the page, or before another one)."""
    if section.name in _REGISTRY:
        raise ValueError(f"section {section.name!r} is already declared")
    if before is None:
        _REGISTRY[section.name] = section
        return section
    items = list(_REGISTRY.items())
    index = [name for name, _ in items].index(before)
    items.insert(index, (section.name, section))
    _REGISTRY.clear()
    _REGISTRY.update(items)
    return section


def unregister(name: str) -> None:
    """Remove a declared section (tests that add one)."""
    _REGISTRY.pop(name, None)


def get(name: str) -> Section | None:
    """The section called ``name``, if declared."""
    return _REGISTRY.get(name)


def all_sections() -> list[Section]:
    """Every declared section, in page order."""
    return list(_REGISTRY.values())


def sections_for(applicant: Applicant) -> list[Section]:
    """The sections of this applicant's page, in order (drafts have no review)."""
    return [s for s in _REGISTRY.values() if s.drafts or not applicant.is_draft]
