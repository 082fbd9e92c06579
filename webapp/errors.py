"""Error handlers that answer in kind: JSON for the API and ``/healthz``, a fragment for
htmx, a page otherwise. Never a traceback; the message says what to do next."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

log = logging.getLogger(__name__)


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.path == "/healthz" or (
        request.accept_mimetypes.best == "application/json"
    )


def _messages(code: int) -> tuple[str, str]:
    """A French (or English) title and an explanation for the status code."""
    known = {
        400: (_("Requête invalide"), _("La demande n'a pas pu être comprise.")),
        401: (_("Connexion requise"), _("Connectez-vous pour continuer.")),
        403: (_("Accès refusé"), _("Votre rôle ne permet pas d'ouvrir cette page.")),
        404: (_("Page introuvable"),
              _("Cette page ou ce dossier n'existe pas. Vérifiez l'identifiant.")),
        405: (_("Méthode non permise"), _("Cette action n'est pas possible ici.")),
        413: (_("Envoi trop volumineux"), _("Le contenu envoyé est trop volumineux.")),
        422: (_("Données invalides"), _("Certaines valeurs sont incorrectes.")),
        429: (_("Trop de tentatives"),
              _("Trop de tentatives en peu de temps. Patientez une minute puis réessayez.")),
        500: (_("Erreur interne"),
              _("Une erreur inattendue s'est produite. Réessayez ; si elle persiste, "
                "prévenez le support.")),
        503: (_("Service indisponible"), _("Le service est momentanément indisponible.")),
    }
    return known.get(code, (_("Erreur"), _("La demande n'a pas abouti.")))


def render_error(code: int, message: str | None = None, json_description: str | None = None):
    """The response for an error, in the kind the client asked for."""
    title, default_message = _messages(code)
    if _wants_json():
        return jsonify({"error": json_description or message or title, "status": code}), code
    context = {"code": code, "title": title, "message": message or default_message}
    template = "errors/_error.html" if request.headers.get("HX-Request") == "true" \
        else "errors/error.html"
    response = render_template(template, **context), code
    return response


def register_error_handlers(app: Flask) -> None:
    """Every HTTP error gets a clear message, never a traceback."""

    @app.errorhandler(CSRFError)
    def handle_csrf_error(error: CSRFError):
        return render_error(400, _("Le formulaire a expiré ou n'est pas valide "
                                   "(jeton de sécurité). Rechargez la page et recommencez."),
                            json_description=error.description)

    @app.errorhandler(HTTPException)
    def handle_http_error(error: HTTPException):
        code = error.code or 500
        custom = getattr(error, "pad_message", None)
        return render_error(code, custom, json_description=error.description)

    @app.errorhandler(Exception)
    def handle_unexpected(error: Exception):
        if isinstance(error, HTTPException):  # pragma: no cover - handled above
            return handle_http_error(error)
        log.exception("unhandled error on %s %s", request.method, request.path)
        # A failed flush leaves the session unusable: roll back first, so that the error page
        # itself (which reads the signed-in user) can render instead of a bare one.
        from .extensions import db

        try:
            db.session.rollback()
        except Exception:  # noqa: BLE001 - the page must still answer
            log.exception("rollback after an unhandled error failed")
        return render_error(500, json_description=InternalServerError.description)
