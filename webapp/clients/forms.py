"""The client list's filters (a GET form)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField
from wtforms.validators import NumberRange, Optional, ValidationError

from ml.credit.labels import choices

from ..i18n import data_label
from ..ui.fields import BoundedIntegerField, FrenchNumberField


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
    contract_type = SelectField(data_label("NAME_CONTRACT_TYPE"), choices=[], default="")
    education = SelectField(data_label("NAME_EDUCATION_TYPE"), choices=[], default="")
    family_status = SelectField(data_label("NAME_FAMILY_STATUS"), choices=[], default="")
    income_type = SelectField(data_label("NAME_INCOME_TYPE"), choices=[], default="")
    sort = SelectField(_l("Trier par"), choices=[], default="id")
    page = BoundedIntegerField(_l("Page"), validators=[Optional(), NumberRange(1, 100000)],
                               default=1)

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
