"""``/login``, ``/logout`` and the language switch."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from ..extensions import db, limiter
from ..i18n import LANGUAGES
from .access import public, roles_required, safe_next
from .forms import LoginForm
from .service import authenticate

bp = Blueprint("accounts", __name__)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("10 per minute; 100 per hour", methods=["POST"])
@public
def login():
    """Sign in with e-mail and password; a failed attempt says so without telling which."""
    if current_user.is_authenticated:
        return redirect(url_for("clients.search"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        user = authenticate(db.session, form.email.data or "", form.password.data or "")
        if user is not None:
            language = session.get("lang")
            session.clear()  # a fresh session on every sign-in
            if language:
                session["lang"] = language
            login_user(user)
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
    """Sign out (a POST with the CSRF token: a link cannot sign anyone out)."""
    language = session.get("lang")
    logout_user()
    session.clear()
    if language:
        session["lang"] = language
    flash(_("Vous êtes déconnecté."), "info")
    return redirect(url_for("accounts.login"))


@bp.post("/langue")
@public
def set_language():
    """Switch the interface language (French or English) for this session."""
    language = request.form.get("lang", "")
    if language in LANGUAGES:
        session["lang"] = language
    target = safe_next(request.form.get("next")) or url_for("clients.search")
    return redirect(target)
