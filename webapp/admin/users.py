"""``/admin/users``: create users, change their role, deactivate or reactivate them, reset
their password. The last active admin can be neither demoted nor deactivated, even by two
admins at once (``accounts.service``). Each of these changes ends the user's sessions.
Password hashes and API tokens are never shown."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from ..accounts.access import roles_required
from ..accounts.models import User
from ..accounts.passwords import password_message
from ..accounts.service import (
    AccountError,
    LastAdminError,
    change_role,
    create_user,
    reset_password,
    set_active,
)
from ..extensions import db
from .blueprint import bp
from .forms import PasswordResetForm, UserCreateForm, UserRoleForm, role_choices


def _page(status: int = 200, create: UserCreateForm | None = None, error: str | None = None,
          reset: tuple[int, PasswordResetForm] | None = None):
    team = db.session.scalars(select(User).order_by(User.email)).all()
    return render_template("admin/users.html", users=team,
                           create=create or UserCreateForm(formdata=None), error=error,
                           reset=reset, role_choices=role_choices(),
                           password_form=PasswordResetForm), status


def _user_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


def _last_admin_message() -> str:
    return _("Refusé : c'est le dernier administrateur actif. Nommez d'abord un autre "
             "administrateur.")


@bp.get("/users", endpoint="users")
@roles_required("admin")
def users_list():
    """The team, and the form to add someone."""
    return _page()


@bp.post("/users", endpoint="user_create")
@roles_required("admin")
def user_create():
    """Add an advisor or an admin."""
    form = UserCreateForm()
    if not form.validate():
        return _page(422, create=form)
    try:
        user = create_user(db.session, form.email.data, form.password.data, form.role.data)
        db.session.commit()
    except AccountError as exc:
        db.session.rollback()
        if exc.code == "duplicate":
            form.email.errors.append(_("Un utilisateur a déjà cette adresse e-mail."))
        elif exc.code in ("email", "role"):
            form.email.errors.append(_("Adresse e-mail invalide : lettres sans accent, "
                                       "chiffres et . _ - + seulement, un @ puis un domaine."))
        else:
            form.password.errors.append(password_message(exc.code))
        return _page(422, create=form)
    flash(_("Utilisateur %(email)s créé.", email=user.email), "info")
    return redirect(url_for("admin.users"), code=303)


@bp.post("/users/<int:user_id>/role", endpoint="user_role")
@roles_required("admin")
def user_role(user_id: int):
    """Change a user's role; their sessions end (the new role applies at the next sign-in)."""
    user = _user_or_404(user_id)
    form = UserRoleForm()
    if not form.validate():
        return _page(422, error=_("Choisissez un rôle de la liste."))
    try:
        change_role(db.session, user, form.role.data)
        db.session.commit()
    except LastAdminError:
        db.session.rollback()
        return _page(409, error=_last_admin_message())
    flash(_("Rôle de %(email)s mis à jour.", email=user.email), "info")
    return redirect(url_for("admin.users"), code=303)


@bp.post("/users/<int:user_id>/deactivate", endpoint="user_deactivate")
@roles_required("admin")
def user_deactivate(user_id: int):
    """Deactivate a user: they can no longer sign in, their open sessions end."""
    user = _user_or_404(user_id)
    try:
        set_active(db.session, user, False)
        db.session.commit()
    except LastAdminError:
        db.session.rollback()
        return _page(409, error=_last_admin_message())
    flash(_("%(email)s est désactivé.", email=user.email), "info")
    return redirect(url_for("admin.users"), code=303)


@bp.post("/users/<int:user_id>/reactivate", endpoint="user_reactivate")
@roles_required("admin")
def user_reactivate(user_id: int):
    """Let a deactivated user sign in again (their old sessions and API tokens stay dead)."""
    user = _user_or_404(user_id)
    set_active(db.session, user, True)
    db.session.commit()
    flash(_("%(email)s est réactivé.", email=user.email), "info")
    return redirect(url_for("admin.users"), code=303)


@bp.post("/users/<int:user_id>/password", endpoint="user_password")
@roles_required("admin")
def user_password(user_id: int):
    """Set a new password (to hand over to the person); their sessions end and their API
    tokens are revoked."""
    user = _user_or_404(user_id)
    form = PasswordResetForm(prefix=f"u{user.id}")
    if not form.validate():
        return _page(422, reset=(user.id, form))
    try:
        reset_password(db.session, user, form.password.data)
        db.session.commit()
    except AccountError as exc:
        db.session.rollback()
        form.password.errors.append(password_message(exc.code))
        return _page(422, reset=(user.id, form))
    flash(_("Mot de passe de %(email)s réinitialisé.", email=user.email), "info")
    return redirect(url_for("admin.users"), code=303)
