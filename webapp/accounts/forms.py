"""The sign-in and password-change forms (CSRF-protected by Flask-WTF like every form)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import EqualTo, InputRequired, Length

from .passwords import MAX_LENGTH, MIN_LENGTH


class LoginForm(FlaskForm):
    """E-mail and password."""

    email = EmailField(_l("Adresse e-mail"),
                       validators=[InputRequired(_l("Saisissez votre adresse e-mail.")),
                                   Length(max=254)],
                       render_kw={"autocomplete": "username"})
    password = PasswordField(_l("Mot de passe"),
                             validators=[InputRequired(_l("Saisissez votre mot de passe.")),
                                         Length(max=1024)],
                             render_kw={"autocomplete": "current-password"})


class PasswordChangeForm(FlaskForm):
    """The current password, then the new one twice."""

    current = PasswordField(_l("Mot de passe actuel"),
                            validators=[InputRequired(_l("Ce champ est obligatoire.")),
                                        Length(max=1024)],
                            render_kw={"autocomplete": "current-password"})
    new = PasswordField(_l("Nouveau mot de passe"),
                        validators=[InputRequired(_l("Ce champ est obligatoire.")),
                                    Length(max=MAX_LENGTH,
                                           message=_l("%(n)s caractères au plus.",
                                                      n=MAX_LENGTH))],
                        description=_l("Au moins %(n)s caractères ; une phrase de plusieurs "
                                       "mots convient bien. Les mots de passe les plus "
                                       "courants sont refusés.", n=MIN_LENGTH),
                        render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(_l("Nouveau mot de passe (confirmation)"),
                            validators=[InputRequired(_l("Ce champ est obligatoire.")),
                                        EqualTo("new", _l("Les deux saisies diffèrent."))],
                            render_kw={"autocomplete": "new-password"})
