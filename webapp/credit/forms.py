"""Forms of the client page: what-if, new application, review request."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from ml.credit.labels import choices, kind
from ml.credit.schema import DAYS_EMPLOYED_ANOMALY

from ..i18n import data_label
from ..ui.fields import FrenchNumberField, input_text, parse_number
from .whatif import BOUNDS, term_of


def _bounded(label, low: float, high: float, required: bool = True, hint=None):
    message = _l("Entre %(low)s et %(high)s.", low=format(low, ",.0f").replace(",", " "),
                 high=format(high, ",.0f").replace(",", " "))
    first = InputRequired(_l("Ce champ est obligatoire.")) if required else Optional()
    return FrenchNumberField(label, validators=[first, NumberRange(low, high, message)],
                             description=hint or "")


def _money(field: str, required: bool = True):
    return _bounded(data_label(field, " (€)"), *BOUNDS[field], required=required)


def _whatif_field(name: str):
    """One what-if input: its label from the data label table, its bounds from the what-if
    service (``TERM``, the number of instalments, is no Kaggle field)."""
    if name == "TERM":
        return _bounded(_l("Durée (nombre d'échéances)"), *BOUNDS["TERM"],
                        hint=_l("Changer la durée recalcule l'échéance (montant ÷ durée)."))
    suffix = " (€)" if kind(name) == "money" else ""
    return _bounded(data_label(name, suffix), *BOUNDS[name])


class WhatIfForm(FlaskForm):
    """The terms an applicant can change (one input per entry of ``whatif.BOUNDS``, in that
    order); bounds keep values plausible.

    The instalment and the term are tied (term = amount ÷ instalment): the one the advisor
    changed drives, the other follows. The form carries, in hidden inputs (``shown_TERM``,
    ``shown_AMT_ANNUITY``), both values as the page last showed them, so that a submission by
    Enter, by the button or without JavaScript knows which one was typed.
    """

    FIELDS = tuple(BOUNDS)
    TIED = ("TERM", "AMT_ANNUITY")

    def _typed(self, name: str) -> bool:
        """Whether ``name`` differs from the value the page last showed."""
        shown = request.form.get(f"shown_{name}", "")
        try:
            return abs(parse_number(shown) - float(getattr(self, name).data)) > 1e-9
        except (TypeError, ValueError):
            return False

    def term_driven(self, trigger: str | None = None) -> bool:
        """Whether the term drives the instalment: the field that fired the request when htmx
        names it, else the term when it alone was changed."""
        if trigger in self.TIED:
            return trigger == "TERM"
        return self._typed("TERM") and not self._typed("AMT_ANNUITY")

    def show_derived(self, record: Mapping[str, Any], term_driven: bool) -> None:
        """Show the derived value (the instalment or the term) that ``record`` now has."""
        if term_driven:
            self.AMT_ANNUITY.raw_data = [input_text(round(float(record["AMT_ANNUITY"])))]
        else:
            term = term_of(record)
            if term:
                self.TERM.raw_data = [input_text(round(term, 1))]

    def shown_value(self, name: str) -> str:
        """The value a field shows (what the hidden ``shown_`` input keeps)."""
        return getattr(self, name)._value()


for _name in WhatIfForm.FIELDS:
    setattr(WhatIfForm, _name, _whatif_field(_name))


class NewApplicationForm(FlaskForm):
    """An applicant who is not in the database: the facts the model uses most."""

    NAME_CONTRACT_TYPE = SelectField(data_label("NAME_CONTRACT_TYPE"), choices=[],
                                     validators=[InputRequired(_l("Choisissez une valeur."))])
    CODE_GENDER = SelectField(
        data_label("CODE_GENDER"), choices=[], validators=[Optional()],
        description=_l("Facultatif. Sert uniquement à mesurer l'équité des décisions : le "
                       "modèle ne le voit pas."))
    AGE = _bounded(_l("Âge (années)"), 18, 100)
    CNT_CHILDREN = _bounded(data_label("CNT_CHILDREN"), 0, 20)
    CNT_FAM_MEMBERS = _bounded(data_label("CNT_FAM_MEMBERS"), 1, 20)
    NAME_FAMILY_STATUS = SelectField(data_label("NAME_FAMILY_STATUS"), choices=[],
                                     validators=[Optional()])
    NAME_EDUCATION_TYPE = SelectField(data_label("NAME_EDUCATION_TYPE"), choices=[],
                                      validators=[Optional()])
    NAME_INCOME_TYPE = SelectField(data_label("NAME_INCOME_TYPE"), choices=[],
                                   validators=[Optional()])
    NAME_HOUSING_TYPE = SelectField(data_label("NAME_HOUSING_TYPE"), choices=[],
                                    validators=[Optional()])
    FLAG_OWN_CAR = SelectField(data_label("FLAG_OWN_CAR"), choices=[], validators=[Optional()])
    FLAG_OWN_REALTY = SelectField(data_label("FLAG_OWN_REALTY"), choices=[],
                                  validators=[Optional()])
    EMPLOYMENT_YEARS = _bounded(_l("Ancienneté dans l'emploi (années)"), 0, 60, required=False,
                                hint=_l("Laisser vide si sans emploi ou retraité(e)."))
    AMT_INCOME_TOTAL = _money("AMT_INCOME_TOTAL")
    AMT_CREDIT = _money("AMT_CREDIT")
    AMT_ANNUITY = _money("AMT_ANNUITY")
    AMT_GOODS_PRICE = _money("AMT_GOODS_PRICE", required=False)
    EXT_SOURCE_1 = _bounded(data_label("EXT_SOURCE_1", _l(" (0 à 1)")), 0, 1, required=False)
    EXT_SOURCE_2 = _bounded(data_label("EXT_SOURCE_2", _l(" (0 à 1)")), 0, 1, required=False)
    EXT_SOURCE_3 = _bounded(data_label("EXT_SOURCE_3", _l(" (0 à 1)")), 0, 1, required=False)

    SELECTS = ("NAME_CONTRACT_TYPE", "CODE_GENDER", "NAME_FAMILY_STATUS", "NAME_EDUCATION_TYPE",
               "NAME_INCOME_TYPE", "NAME_HOUSING_TYPE", "FLAG_OWN_CAR", "FLAG_OWN_REALTY")

    def __init__(self, *args, lang: str = "fr", **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.SELECTS:
            field = getattr(self, name)
            options = choices(name, lang)
            field.choices = options if name == "NAME_CONTRACT_TYPE" else \
                [("", str(_l("Non renseigné")))] + options

    def validate_CNT_FAM_MEMBERS(self, field) -> None:  # noqa: N802 (Kaggle field name)
        children = self.CNT_CHILDREN.data
        if field.data is not None and children is not None and field.data < children + 1:
            raise ValidationError(_l("Le foyer compte au moins le demandeur et ses enfants."))

    def to_record(self) -> dict:
        """The raw Kaggle record of the form's values."""
        record: dict = {}
        for name in self.SELECTS:
            value = getattr(self, name).data
            record[name] = value or None
        record["DAYS_BIRTH"] = -round(self.AGE.data * 365.25)
        years = self.EMPLOYMENT_YEARS.data
        record["DAYS_EMPLOYED"] = DAYS_EMPLOYED_ANOMALY if years is None \
            else -round(years * 365.25)
        for name in ("CNT_CHILDREN", "CNT_FAM_MEMBERS", "AMT_INCOME_TOTAL", "AMT_CREDIT",
                     "AMT_ANNUITY", "AMT_GOODS_PRICE", "EXT_SOURCE_1", "EXT_SOURCE_2",
                     "EXT_SOURCE_3"):
            record[name] = getattr(self, name).data
        return record


class ReviewRequestForm(FlaskForm):
    """The applicant contests the automated decision: their view, in their words."""

    applicant_view = TextAreaField(
        _l("Point de vue du demandeur"),
        validators=[InputRequired(_l("Ce champ est obligatoire.")),
                    Length(max=4000, message=_l("4 000 caractères au plus."))],
        description=_l("Ce que le demandeur conteste et les éléments qu'il apporte "
                       "(4 000 caractères au plus)."))

    def validate_applicant_view(self, field) -> None:
        if not (field.data or "").strip():
            raise ValidationError(_l("Ce champ est obligatoire."))
