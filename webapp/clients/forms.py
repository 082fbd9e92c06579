"""Forms of the clients feature: list filters, what-if, new application, review request."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, TextAreaField
from wtforms.validators import (
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from ..fields import FrenchNumberField
from ..services.vocabulary import choices
from ..services.whatif import CHANGEABLE


def _with_any(field: str, lang: str) -> list[tuple[str, str]]:
    return [("", str(_l("Tous")))] + choices(field, lang)


class ClientFilterForm(FlaskForm):
    """Filters of the client list (a GET form: nothing changes, no CSRF token needed)."""

    class Meta:
        csrf = False

    decision = SelectField(_l("Décision"), choices=[], validate_choice=True, default="")
    probability_min = FrenchNumberField(
        _l("Probabilité de défaut minimale (%)"),
        validators=[Optional(), NumberRange(0, 100, _l("Entre 0 et 100 %%."))])
    probability_max = FrenchNumberField(
        _l("Probabilité de défaut maximale (%)"),
        validators=[Optional(), NumberRange(0, 100, _l("Entre 0 et 100 %%."))])
    contract_type = SelectField(_l("Type de contrat"), choices=[], default="")
    education = SelectField(_l("Niveau d'études"), choices=[], default="")
    family_status = SelectField(_l("Situation familiale"), choices=[], default="")
    income_type = SelectField(_l("Source de revenus"), choices=[], default="")
    sort = SelectField(_l("Trier par"), choices=[], default="id")
    page = IntegerField(_l("Page"), validators=[Optional(), NumberRange(1, 100000)], default=1)

    def __init__(self, *args, lang: str = "fr", **kwargs):
        super().__init__(*args, **kwargs)
        self.decision.choices = [("", str(_l("Toutes"))), ("accepted", str(_l("Accordé"))),
                                 ("refused", str(_l("Refusé")))]
        self.contract_type.choices = _with_any("NAME_CONTRACT_TYPE", lang)
        self.education.choices = _with_any("NAME_EDUCATION_TYPE", lang)
        self.family_status.choices = _with_any("NAME_FAMILY_STATUS", lang)
        self.income_type.choices = _with_any("NAME_INCOME_TYPE", lang)
        self.sort.choices = [("id", str(_l("Identifiant"))),
                             ("probability_desc", str(_l("Probabilité décroissante"))),
                             ("probability_asc", str(_l("Probabilité croissante")))]

    def validate_probability_max(self, field) -> None:
        low = self.probability_min.data
        if field.data is not None and low is not None and field.data < low:
            raise ValidationError(_l("Le maximum doit être supérieur ou égal au minimum."))


def _bounded(label, low: float, high: float, required: bool = True, hint=None):
    message = _l("Entre %(low)s et %(high)s.", low=f"{low:,.0f}".replace(",", " "),
                 high=f"{high:,.0f}".replace(",", " "))
    first = InputRequired(_l("Ce champ est obligatoire.")) if required else Optional()
    return FrenchNumberField(label, validators=[first, NumberRange(low, high, message)],
                             description=hint or "")


class WhatIfForm(FlaskForm):
    """The terms an applicant can change; bounds keep values plausible."""

    AMT_CREDIT = _bounded(_l("Montant du crédit (€)"), *CHANGEABLE["AMT_CREDIT"][2:])
    AMT_ANNUITY = _bounded(_l("Montant de l'échéance (€)"), *CHANGEABLE["AMT_ANNUITY"][2:])
    TERM = _bounded(_l("Durée (nombre d'échéances)"), *CHANGEABLE["TERM"][2:],
                    hint=_l("Changer la durée recalcule l'échéance (montant ÷ durée)."))
    AMT_GOODS_PRICE = _bounded(_l("Prix du bien financé (€)"),
                               *CHANGEABLE["AMT_GOODS_PRICE"][2:])
    AMT_INCOME_TOTAL = _bounded(_l("Revenu annuel déclaré (€)"),
                                *CHANGEABLE["AMT_INCOME_TOTAL"][2:])

    FIELDS = ("AMT_CREDIT", "AMT_ANNUITY", "TERM", "AMT_GOODS_PRICE", "AMT_INCOME_TOTAL")


class NewApplicationForm(FlaskForm):
    """An applicant who is not in the database: the facts the model uses most."""

    NAME_CONTRACT_TYPE = SelectField(_l("Type de contrat"), choices=[],
                                     validators=[InputRequired(_l("Choisissez une valeur."))])
    CODE_GENDER = SelectField(_l("Sexe"), choices=[], validators=[Optional()])
    AGE = _bounded(_l("Âge (années)"), 18, 100)
    CNT_CHILDREN = _bounded(_l("Nombre d'enfants"), 0, 20)
    CNT_FAM_MEMBERS = _bounded(_l("Personnes dans le foyer"), 1, 20)
    NAME_FAMILY_STATUS = SelectField(_l("Situation familiale"), choices=[],
                                     validators=[Optional()])
    NAME_EDUCATION_TYPE = SelectField(_l("Niveau d'études"), choices=[], validators=[Optional()])
    NAME_INCOME_TYPE = SelectField(_l("Source de revenus"), choices=[], validators=[Optional()])
    NAME_HOUSING_TYPE = SelectField(_l("Logement"), choices=[], validators=[Optional()])
    FLAG_OWN_CAR = SelectField(_l("Possède une voiture"), choices=[], validators=[Optional()])
    FLAG_OWN_REALTY = SelectField(_l("Propriétaire d'un bien immobilier"), choices=[],
                                  validators=[Optional()])
    EMPLOYMENT_YEARS = _bounded(_l("Ancienneté dans l'emploi (années)"), 0, 60, required=False,
                                hint=_l("Laisser vide si sans emploi ou retraité(e)."))
    AMT_INCOME_TOTAL = _bounded(_l("Revenu annuel déclaré (€)"),
                                *CHANGEABLE["AMT_INCOME_TOTAL"][2:])
    AMT_CREDIT = _bounded(_l("Montant du crédit (€)"), *CHANGEABLE["AMT_CREDIT"][2:])
    AMT_ANNUITY = _bounded(_l("Montant de l'échéance (€)"), *CHANGEABLE["AMT_ANNUITY"][2:])
    AMT_GOODS_PRICE = _bounded(_l("Prix du bien financé (€)"),
                               *CHANGEABLE["AMT_GOODS_PRICE"][2:], required=False)
    EXT_SOURCE_1 = _bounded(_l("Score externe n° 1 (0 à 1)"), 0, 1, required=False)
    EXT_SOURCE_2 = _bounded(_l("Score externe n° 2 (0 à 1)"), 0, 1, required=False)
    EXT_SOURCE_3 = _bounded(_l("Score externe n° 3 (0 à 1)"), 0, 1, required=False)

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
        record["DAYS_EMPLOYED"] = 365243 if years is None else -round(years * 365.25)
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
