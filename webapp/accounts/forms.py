"""The login form (CSRF-protected by Flask-WTF like every form)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import InputRequired, Length


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
