"""What a job says to the admin, in the admin's language.

A worker runs without a request, so it cannot know who will read its words, nor in which
language: it stores a code and its parameters (JSON in ``jobs.message``), and the page words
them with gettext when it shows the job (:func:`describe`). Numbers are written in the page's
conventions too. A message that is no code (an older row) is shown as it is.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from flask_babel import lazy_gettext as _l

from ..ui import formatting as fmt

MESSAGES = {
    "upload_gone": _l("Le fichier envoyé n'est plus disponible : envoyez-le de nouveau."),
    "import_file": _l("Le fichier ne peut pas être importé : %(detail)s"),
    "import_clash": _l("Un dossier de ce fichier a été importé entre-temps par quelqu'un "
                       "d'autre : rien n'a été importé."),
    "queue_unreachable": _l("La file des tâches est injoignable (%(detail)s) : la tâche n'a "
                            "pas pu démarrer. Réessayez ; si cela persiste, prévenez le "
                            "support."),
    "no_model": _l("Aucun modèle de crédit n'est chargé : rien ne peut être recalculé."),
    "rescored": _l("%(scored)s dossiers recalculés avec le modèle %(version)s."),
    "rescored_partly": _l("%(scored)s dossiers recalculés avec le modèle %(version)s ; "
                          "%(remaining)s restent à recalculer."),
    "trained": _l("Modèle %(version)s (AUC sur le jeu de test : %(auc)s) ; recalcul des "
                  "scores : tâche %(job)s."),
    "trained_not_served": _l("Le modèle %(version)s a été entraîné dans %(folder)s mais ce "
                             "processus ne le sert pas (PAD_ARTIFACTS_DIR doit désigner le "
                             "dossier des modèles, pas un modèle)."),
    "worker_lost": _l("Le processus qui exécutait cette tâche s'est arrêté (%(worker)s, "
                      "silencieux depuis %(since)s)."),
    "worker_stopped": _l("Le processus qui exécutait cette tâche a été arrêté pendant "
                         "qu'elle tournait."),
    "retry": _l("%(reason)s Nouvel essai (%(attempt)s sur %(attempts)s)."),
    "nothing_kept": _l("%(reason)s Rien n'en a été gardé."),
    "vision_evaluated": _l("%(photos)s photos évaluées par les modèles d'image."),
    "no_vision_models": _l("Les modèles d'image ne sont pas chargés sur ce worker "
                           "(%(detail)s) : rien n'a été évalué."),
    # Worded by webapp.vision.archive_messages from the archive's own code (see WORDED).
    "vision_archive": _l("L'archive est refusée."),
    "internal": _l("Une erreur interne a interrompu la tâche (le détail est dans le journal "
                   "du serveur). Réessayez ; si elle persiste, prévenez le support."),
}


def _archive(params: dict[str, Any]) -> str:
    from ..vision.archive_messages import archive_message

    return archive_message(str(params.get("reason", "")), params)


#: Codes worded by a function of their raw parameters (the archive's refusals: one code of
#: the archive checker, with its own parameters, for twenty-odd messages).
WORDED: dict[str, Callable[[dict[str, Any]], str]] = {"vision_archive": _archive}


def message(code: str, **params: Any) -> str:
    """A message to store: its code and parameters (a nested message stays a message)."""
    if code not in MESSAGES:
        raise KeyError(f"unknown job message {code!r}")
    return json.dumps({"code": code, "params": params}, ensure_ascii=False, default=str)


def _shown(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, int):
        return fmt.number(value)
    if isinstance(value, float):
        return fmt.fixed(value, None, 3)
    if isinstance(value, str) and value.startswith('{"code"'):
        return describe(value)
    return str(value)


def describe(stored: str | None) -> str:
    """A stored message in the reader's language."""
    if not stored:
        return ""
    try:
        parsed = json.loads(stored)
    except ValueError:
        return stored
    if not isinstance(parsed, dict) or parsed.get("code") not in MESSAGES:
        return stored
    if parsed["code"] in WORDED:
        return WORDED[parsed["code"]](dict(parsed.get("params") or {}))
    params = {name: _shown(value) for name, value in (parsed.get("params") or {}).items()}
    return str(MESSAGES[parsed["code"]]) % params if params else str(MESSAGES[parsed["code"]])
