"""``/login``, ``/logout``, ``/compte/mot-de-passe`` (change my password) and the language
switch.

Failed sign-ins are limited per account (brute force on one person, from any address) and
per address with a higher ceiling (colleagues behind one office address do not lock each
other out); only failures stay counted (:mod:`.throttle`: a burst of attempts at once gets
exactly the limit's answers), so a right password never uses up a slot.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, logout_user

from ..extensions import db
from ..i18n import LANGUAGES
from .access import public, roles_required, safe_next
from .forms import LoginForm, PasswordChangeForm
from .passwords import password_message
from .service import AccountError, authenticate, change_own_password, normalise_email
from .sessions import end_all_sessions, start_session
from .throttle import take

bp = Blueprint("accounts", __name__)


def _account_key() -> str:
    """The account a sign-in or password change is about (its normalised e-mail)."""
    if request.endpoint == "accounts.password" and current_user.is_authenticated:
        return f"account:{current_user.email}"
    return "account:" + normalise_email(request.form.get("email", ""))[:254]


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    """Sign in with e-mail and password; a failed attempt says so without telling which.

    Failed attempts are limited per account and per address (:mod:`.throttle`)."""
    if current_user.is_authenticated:
        return redirect(url_for("clients.search"))
    attempt = take(_account_key()) if request.method == "POST" else None
    if attempt is not None and attempt.refused:
        abort(429)
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        user = authenticate(db.session, form.email.data or "", form.password.data or "")
        if user is not None:
            assert attempt is not None
            attempt.give_back()  # a success is not a failed attempt
            start_session(user)  # a fresh session on every sign-in
            db.session.commit()
            target = safe_next(request.args.get("next")) or url_for("clients.search")
            return redirect(target)
        db.session.rollback()
        form.password.errors = [_("Adresse e-mail ou mot de passe incorrect.")]
        status = 401
    elif request.method == "POST":
        status = 400 if form.csrf_token.errors else 422
    return render_template("accounts/login.html", form=form), status


@bp.post("/logout")
@roles_required()
def logout():
    """Sign out (a POST with the CSRF token: a link cannot sign anyone out). Every session
    of the user ends, on this browser and any other, copied cookies included."""
    language = session.get("lang")
    end_all_sessions(db.session, current_user._get_current_object())
    db.session.commit()
    logout_user()
    session.clear()
    if language:
        session["lang"] = language
    flash(_("Vous êtes déconnecté."), "info")
    return redirect(url_for("accounts.login"))


@bp.route("/compte/mot-de-passe", methods=["GET", "POST"])
@roles_required()
def password():
    """Change my password: the current one, then the new one twice. Every other session of
    mine ends; this browser stays signed in with a fresh session. Wrong attempts count
    against the account's sign-in limit (the current password is a password guess)."""
    attempt = take(_account_key(), with_address=False) if request.method == "POST" else None
    if attempt is not None and attempt.refused:
        abort(429)
    form = PasswordChangeForm()
    status = 200
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            change_own_password(db.session, user, form.current.data, form.new.data)
            db.session.commit()
        except AccountError as exc:
            db.session.rollback()
            field = form.current if exc.code == "wrong_password" else form.new
            field.errors = [_("Mot de passe actuel incorrect.") if exc.code == "wrong_password"
                            else _("Le nouveau mot de passe doit différer de l'actuel.")
                            if exc.code == "same_password" else password_message(exc.code)]
            status = 422
        else:
            assert attempt is not None
            attempt.give_back()
            start_session(user)
            flash(_("Mot de passe changé. Vos autres sessions sont fermées."), "info")
            return redirect(url_for("clients.search"), code=303)
    elif request.method == "POST":
        status = 400 if form.csrf_token.errors else 422
    return render_template("accounts/password.html", form=form), status


@bp.post("/langue")
@public
def set_language():
    """Switch the interface language (French or English) for this session."""
    language = request.form.get("lang", "")
    if language in LANGUAGES:
        session["lang"] = language
    target = safe_next(request.form.get("next")) or url_for("clients.search")
    return redirect(target)
