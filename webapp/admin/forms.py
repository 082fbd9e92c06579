"""Forms of the admin views: reviews, record filters, client edits, import, users."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    DateField,
    HiddenField,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from ..clients.reviews import MIN_JUSTIFICATION
from ..inputs import MAX_SK_ID_CURR
from ..ui.fields import BoundedIntegerField


class ReviewDecisionForm(FlaskForm):
    """An admin confirms or overrides the model's decision, and says why."""

    outcome = RadioField(_l("Décision après réexamen"), choices=[],
                         validators=[InputRequired(_l("Choisissez une décision."))])
    justification = TextAreaField(
        _l("Justification écrite"),
        validators=[InputRequired(_l("Ce champ est obligatoire.")),
                    Length(min=MIN_JUSTIFICATION, max=4000,
                           message=_l("Entre %(min)s et 4 000 caractères.",
                                      min=MIN_JUSTIFICATION))],
        description=_l("Elle sera montrée au conseiller et gardée au registre des décisions "
                       "(au moins %(min)s caractères).", min=MIN_JUSTIFICATION))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.outcome.choices = [("confirm", str(_l("Confirmer la décision du modèle"))),
                                ("override", str(_l("Infirmer la décision du modèle")))]

    def validate_justification(self, field) -> None:
        if len((field.data or "").strip()) < MIN_JUSTIFICATION:
            raise ValidationError(_l("Entre %(min)s et 4 000 caractères.",
                                     min=MIN_JUSTIFICATION))


class RecordFilterForm(FlaskForm):
    """Filters of the decision records (a GET form: nothing changes, no CSRF token)."""

    class Meta:
        csrf = False

    user_email = StringField(_l("E-mail de l'utilisateur"),
                             validators=[Optional(), Length(max=254)])
    sk_id_curr = BoundedIntegerField(_l("Dossier (SK_ID_CURR)"),
                              validators=[Optional(), NumberRange(1, MAX_SK_ID_CURR,
                                                                  _l("Un identifiant positif."))])
    action = SelectField(_l("Action"), choices=[], default="")
    decision = SelectField(_l("Décision"), choices=[], default="")
    date_from = DateField(_l("Du (inclus)"), validators=[Optional()])
    date_to = DateField(_l("Au (inclus)"), validators=[Optional()])
    page = BoundedIntegerField(_l("Page"), validators=[Optional(), NumberRange(1, 100000)],
                               default=1)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.action.choices = [("", str(_l("Toutes"))),
                               ("explanation", str(_l("Explication ouverte"))),
                               ("what_if", str(_l("Simulation"))),
                               ("sheet", str(_l("Fiche imprimée"))),
                               ("review_requested", str(_l("Réexamen demandé"))),
                               ("review_decided", str(_l("Réexamen décidé")))]
        self.decision.choices = [("", str(_l("Toutes"))), ("accepted", str(_l("Accordé"))),
                                 ("refused", str(_l("Refusé")))]

    def validate_date_to(self, field) -> None:
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_l("La date de fin doit suivre la date de début."))


class ConfirmForm(FlaskForm):
    """A confirmation (delete, import): the CSRF token and the version it was shown for."""

    version = HiddenField()


class ImportForm(FlaskForm):
    """A Kaggle-format CSV to import."""

    file = FileField(_l("Fichier CSV (format Kaggle application_test)"),
                     description=_l("Toutes les lignes sont vérifiées avant l'import ; rien "
                                    "n'est écrit si une seule est invalide."))


class UserCreateForm(FlaskForm):
    """A new advisor or admin."""

    email = StringField(_l("Adresse e-mail"),
                        validators=[InputRequired(_l("Ce champ est obligatoire.")),
                                    Length(max=254)])
    role = SelectField(_l("Rôle"), choices=[], validators=[InputRequired()])
    password = PasswordField(_l("Mot de passe initial"),
                             validators=[InputRequired(_l("Ce champ est obligatoire.")),
                                         Length(max=200)],
                             description=_l("Au moins 12 caractères ; à transmettre à la "
                                            "personne, qui pourra le changer."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = role_choices()


class UserRoleForm(FlaskForm):
    """Change a user's role."""

    role = SelectField(_l("Rôle"), choices=[], validators=[InputRequired()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = role_choices()


class PasswordResetForm(FlaskForm):
    """Set a new password for a user."""

    password = PasswordField(_l("Nouveau mot de passe"),
                             validators=[InputRequired(_l("Ce champ est obligatoire.")),
                                         Length(max=200)],
                             description=_l("Au moins 12 caractères."))


def role_choices() -> list[tuple[str, str]]:
    """The roles, in words."""
    return [("advisor", str(_l("conseiller"))), ("admin", str(_l("administrateur")))]
