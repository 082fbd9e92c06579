"""The identity card: the main descriptive facts of the application, labelled from the data
label table and formatted in the reader's language (missing ones said so). The applicant's
sex is not on it: it takes no part in the decision (a protected field, kept only to measure
fairness; ``ml.credit.fairness``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _

from ml.credit.labels import category_label, field_label
from ml.credit.schema import DAYS_EMPLOYED_ANOMALY

from ...clients.storage import numeric_field
from ...i18n import current_language
from ...ui import formatting as fmt
from .registry import SectionInput


@dataclass(frozen=True)
class IdentityView:
    """``(label, value)`` rows of the card."""

    rows: list[tuple[str, str]]


def identity_rows(record: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The card's rows for one raw record."""
    lang = current_language()
    rows: list[tuple[str, str]] = []

    def label(field: str) -> str:
        return field_label(field, lang)

    def category(field: str) -> None:
        value = record.get(field)
        rows.append((label(field), category_label(field, value if isinstance(value, str)
                                                  else None, lang)))

    def money(field: str) -> None:
        rows.append((label(field), fmt.money(numeric_field(record, field))))

    birth = numeric_field(record, "DAYS_BIRTH")
    rows.append((label("DAYS_BIRTH"), fmt.years(-birth / 365.25 if birth is not None else None)))
    category("NAME_FAMILY_STATUS")
    rows.append((label("CNT_CHILDREN"), fmt.number(numeric_field(record, "CNT_CHILDREN"))))
    rows.append((label("CNT_FAM_MEMBERS"), fmt.number(numeric_field(record, "CNT_FAM_MEMBERS"))))
    category("NAME_EDUCATION_TYPE")
    category("NAME_INCOME_TYPE")
    category("OCCUPATION_TYPE")
    employed = numeric_field(record, "DAYS_EMPLOYED")
    if employed is not None and employed == DAYS_EMPLOYED_ANOMALY:
        shown = _("sans emploi déclaré (retraite, inactivité)")
    else:
        shown = fmt.years(-employed / 365.25 if employed is not None else None, None, 1)
    rows.append((label("DAYS_EMPLOYED"), shown))
    category("NAME_HOUSING_TYPE")
    category("FLAG_OWN_REALTY")
    category("FLAG_OWN_CAR")
    money("AMT_INCOME_TOTAL")
    category("NAME_CONTRACT_TYPE")
    money("AMT_CREDIT")
    money("AMT_ANNUITY")
    money("AMT_GOODS_PRICE")
    credit, income = numeric_field(record, "AMT_CREDIT"), numeric_field(record, "AMT_INCOME_TOTAL")
    rows.append((_("Crédit rapporté au revenu annuel"),
                 fmt.times(credit / income if credit and income else None)))
    annuity = numeric_field(record, "AMT_ANNUITY")
    rows.append((_("Durée implicite (échéances, hors intérêts)"),
                 fmt.number(credit / annuity if credit and annuity else None)))
    return rows


def build(section: SectionInput) -> IdentityView:
    """The identity card of the section's applicant."""
    return IdentityView(identity_rows(section.record))
