"""Why a ZIP of labelled photos was refused, in the reader's language.

``ml.serving.vision_archive`` refuses an archive with a machine-readable code and its
parameters (:class:`~ml.serving.vision_archive.ArchiveError`); the upload page words it at
once, and a job that met a bad photo stores the code and words it when its page is shown
(``webapp.jobs.messages``), so each reader gets it in their own language.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _

from ..ui.formatting import number
from .categories import category_name


def archive_status(code: str) -> int:
    """The HTTP status of a refused archive: 413 too big, 415 not a ZIP, else 422."""
    if code in ("archive_too_large",):
        return 413
    if code == "not_a_zip":
        return 415
    return 422


def _megabytes(value: Any) -> str:
    try:
        return number(round(int(value) / 1024 / 1024))
    except (TypeError, ValueError):
        return "?"


def _count(value: Any) -> str:
    try:
        return number(int(value))
    except (TypeError, ValueError):
        return "?"


def archive_message(code: str, params: Mapping[str, Any] | None = None) -> str:
    """A sentence saying what is wrong with the archive and what to do."""
    p = dict(params or {})
    name = str(p.get("name") or p.get("image") or "")[:200]
    line = p.get("line")
    where = _(" (ligne %(line)s du CSV)", line=line) if line else ""
    known = ", ".join(category_name(label) for label in p.get("known") or [])
    messages = {
        "not_a_zip": lambda: _("Ce fichier n'est pas une archive ZIP lisible. Compressez le "
                               "dossier de photos au format ZIP et envoyez-le de nouveau."),
        "archive_too_large": lambda: _("L'archive dépasse %(limit)s Mo. Envoyez moins de "
                                       "photos, ou des photos plus légères.",
                                       limit=_megabytes(p.get("limit"))),
        "too_many_files": lambda: _("L'archive contient %(count)s fichiers ; %(limit)s au "
                                    "plus sont acceptés.", count=_count(p.get("count")),
                                    limit=_count(p.get("limit"))),
        "too_many_photos": lambda: _("L'archive contient %(count)s photos ; %(limit)s au plus "
                                     "sont évaluées à la fois.", count=_count(p.get("count")),
                                     limit=_count(p.get("limit"))),
        "too_large": lambda: _("Décompressée, l'archive ferait %(size)s Mo, plus que les "
                               "%(limit)s Mo acceptés.", size=_megabytes(p.get("size")),
                               limit=_megabytes(p.get("limit"))),
        "member_too_large": lambda: _("Le fichier « %(name)s » ferait %(size)s Mo une fois "
                                      "décompressé : %(limit)s Mo au plus par photo.",
                                      name=name, size=_megabytes(p.get("size")),
                                      limit=_megabytes(p.get("limit"))),
        "compression_ratio": lambda: _("Le fichier « %(name)s » est comprimé %(ratio)s fois : "
                                       "c'est le signe d'une « bombe » de décompression, pas "
                                       "d'une photo. L'archive est refusée.", name=name,
                                       ratio=p.get("ratio", "?")),
        "size_mismatch": lambda: _("Le fichier « %(name)s » ne fait pas la taille annoncée "
                                   "par l'archive : l'archive est abîmée ou falsifiée.",
                                   name=name),
        "unsafe_path": lambda: _("Le chemin « %(name)s »%(where)s sort du dossier de "
                                 "l'archive (chemin absolu ou « .. ») : l'archive est "
                                 "refusée.", name=name, where=where),
        "symlink": lambda: _("L'archive contient un lien symbolique (« %(name)s ») : seuls "
                             "des fichiers ordinaires sont acceptés.", name=name),
        "special_file": lambda: _("L'archive contient un fichier spécial (« %(name)s ») : "
                                  "seuls des fichiers ordinaires sont acceptés.", name=name),
        "encrypted": lambda: _("Le fichier « %(name)s » est chiffré : envoyez une archive "
                               "sans mot de passe.", name=name),
        "duplicate_name": lambda: _("Le nom « %(name)s »%(where)s apparaît deux fois dans "
                                    "l'archive.", name=name, where=where),
        "not_a_photo": lambda: _("« %(name)s » n'est pas une photo JPEG, PNG ou WebP (son "
                                 "contenu a été lu, pas son nom).", name=name),
        "photo_too_large": lambda: _("La photo « %(name)s » a trop de pixels : réduisez-la.",
                                     name=name),
        "photo_too_small": lambda: _("La photo « %(name)s » est trop petite pour être classée "
                                     "(16 pixels de côté au moins).", name=name),
        "corrupt_photo": lambda: _("La photo « %(name)s » est tronquée ou abîmée : elle ne "
                                   "peut pas être lue.", name=name),
        "no_category": lambda: _("« %(name)s » n'est dans aucun dossier de catégorie : "
                                 "rangez chaque photo dans le dossier de sa catégorie, ou "
                                 "ajoutez un fichier CSV image,label.", name=name),
        "unknown_label": lambda: _("Catégorie inconnue : « %(label)s » (pour « %(name)s »). "
                                   "Catégories possibles : %(known)s.",
                                   label=str(p.get("label", ""))[:100], name=name,
                                   known=known),
        "csv_invalid": lambda: _("Le fichier CSV « %(name)s » n'est pas lisible : il faut un "
                                 "fichier UTF-8 avec les colonnes image,label et au moins une "
                                 "ligne.", name=name),
        "csv_missing_photo": lambda: _("Le CSV cite « %(name)s »%(where)s, qui n'est pas dans "
                                       "l'archive.", name=name, where=where),
        "several_csv": lambda: _("L'archive contient plusieurs fichiers CSV : gardez-en un "
                                 "seul (colonnes image,label)."),
        "no_photos": lambda: _("L'archive ne contient aucune photo à évaluer."),
    }
    wording = messages.get(code)
    if wording is None:
        return _("L'archive est refusée (%(code)s).", code=code)
    return wording()
