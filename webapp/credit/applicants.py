"""Who the client page is about: a stored client, or an unsaved draft application.

A draft is stored server-side (``drafts.py``); its URLs carry only its unguessable id, which
any worker can look up. It becomes a stored client only when the advisor saves it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import url_for
from flask_babel import gettext as _
from werkzeug.exceptions import NotFound

from ..clients.models import Client
from ..clients.storage import decode_record
from ..extensions import db
from .drafts import draft_record, load_draft

#: what -> (endpoint of a stored client, endpoint of a draft)
_ENDPOINTS = {"page": ("credit.client_page", "credit.draft_page"),
              "section": ("credit.section", "credit.draft_section"),
              "whatif": ("credit.whatif", "credit.draft_whatif"),
              "sheet": ("credit.sheet", "credit.draft_sheet")}


@dataclass
class Applicant:
    """The applicant of a client page and how to address its partials."""

    record: dict[str, Any]
    sk_id_curr: int | None = None
    token: str | None = None  # the draft's id
    version: int | None = None  # the stored application's version (None for a draft)

    @property
    def is_draft(self) -> bool:
        """An application entered by hand and not saved yet."""
        return self.token is not None

    def url(self, what: str, **params: Any) -> str:
        """URL of the page (``what="page"``), a section, the what-if or the sheet."""
        stored, draft = _ENDPOINTS[what]
        if self.is_draft:
            return url_for(draft, token=self.token, **params)
        return url_for(stored, sk_id_curr=self.sk_id_curr, **params)


def stored_applicant(sk_id_curr: int) -> Applicant:
    """The stored client, or a friendly 404."""
    client = db.session.get(Client, sk_id_curr)
    if client is None:
        error = NotFound()
        error.pad_message = _("Aucun dossier ne porte l'identifiant %(id)s. Vérifiez le numéro "
                              "ou cherchez-le dans la liste.", id=sk_id_curr)
        raise error
    return Applicant(record=decode_record(client.raw_record), sk_id_curr=sk_id_curr,
                     version=client.version)


def draft_applicant(token: str) -> Applicant:
    """The draft with this id, or a friendly 404 when it is unknown or expired."""
    draft = load_draft(db.session, token)
    if draft is None:
        error = NotFound()
        error.pad_message = _("Cette demande n'existe pas ou a expiré (24 heures sans être "
                              "enregistrée) : saisissez-la de nouveau.")
        raise error
    return Applicant(record=draft_record(draft), token=draft.id)
