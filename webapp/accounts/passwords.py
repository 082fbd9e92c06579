"""The password policy, in the spirit of NIST SP 800-63B (§5.1.1.2, memorized secrets).

What it asks: a length (at least :data:`MIN_LENGTH`; up to :data:`MAX_LENGTH`, so that a
passphrase fits), any printable character (spaces and accents included, compared after
Unicode NFC normalisation), no control character, and a secret that is not a known one: not
in the list of the 30,000 most common leaked passwords (``data/common-passwords.txt``, on
disk: no network at run time), not such a password with digits or symbols around it, not one
character or a short pattern repeated, not a plain run (``abcdef...``, ``123456...``), and not
the person's e-mail address. No composition rule (one digit, one capital...) and no periodic
change, as the guideline advises.

:func:`password_problem` returns a stable code; :func:`password_message` says it in the
page's language.
"""

from __future__ import annotations

import unicodedata
from functools import cache
from pathlib import Path

from flask_babel import gettext as _

MIN_LENGTH = 12
MAX_LENGTH = 256
COMMON_PASSWORDS = Path(__file__).with_name("data") / "common-passwords.txt"
_EDGE_NOISE = "0123456789!?.,;:-_*#@$%&+=~/\\|'\" "


@cache
def common_passwords() -> frozenset[str]:
    """The list, loaded once per process (about 2 MB)."""
    return frozenset(line for line in COMMON_PASSWORDS.read_text(encoding="utf-8").split("\n")
                     if line)


def normalise_password(password: str) -> str:
    """The password as it is hashed and compared: Unicode NFC."""
    return unicodedata.normalize("NFC", password)


def _repeats_a_pattern(text: str) -> bool:
    for unit in range(1, len(text) // 2 + 1):
        if len(text) % unit == 0 and text[:unit] * (len(text) // unit) == text:
            return True
    return False


def _is_a_run(text: str) -> bool:
    """``abcdef...``, ``fedcba...``, ``123456...``, ``987654321098`` (digits wrap around)."""
    steps = {ord(b) - ord(a) for a, b in zip(text, text[1:], strict=False)}
    if text.isascii() and text.isdigit():
        steps = {step % 10 for step in steps}
        return steps in ({1}, {9})
    return steps in ({1}, {-1})


def _is_known(lowered: str) -> bool:
    known = common_passwords()
    compact = lowered.replace(" ", "")
    core = lowered.strip(_EDGE_NOISE)
    return (lowered in known or compact in known
            or (len(core) >= 4 and (core in known or _repeats_a_pattern(core))))


def password_problem(password: str, email: str | None = None) -> str | None:
    """Why ``password`` is refused, as a code, or ``None`` when it is acceptable.

    Codes: ``too_short``, ``too_long``, ``control`` (a control character: NUL, escape, line
    break...), ``repetitive``, ``sequence``, ``common``, ``email``.
    """
    password = normalise_password(password or "")
    if any(unicodedata.category(ch) in ("Cc", "Cs") for ch in password):
        return "control"
    if len(password) < MIN_LENGTH:
        return "too_short"
    if len(password) > MAX_LENGTH:
        return "too_long"
    lowered = password.lower()
    if _repeats_a_pattern(lowered) or len(set(lowered)) < 4:
        return "repetitive"
    if _is_a_run(lowered):
        return "sequence"
    if _is_known(lowered):
        return "common"
    if email:
        local = email.lower().partition("@")[0]
        if lowered == email.lower() or (len(local) >= 4 and local in lowered):
            return "email"
    return None


def password_message(code: str) -> str:
    """What to tell the person about a refused password (the page's language)."""
    messages = {
        "too_short": _("Au moins %(n)s caractères.", n=MIN_LENGTH),
        "too_long": _("%(n)s caractères au plus.", n=MAX_LENGTH),
        "control": _("Le mot de passe contient un caractère de contrôle (octet nul, saut de "
                     "ligne, ...) : choisissez-en un autre."),
        "repetitive": _("Ce mot de passe répète les mêmes caractères : choisissez-en un moins "
                        "prévisible (une phrase de plusieurs mots, par exemple)."),
        "sequence": _("Ce mot de passe est une suite de caractères (abcdef..., 123456...) : "
                      "choisissez-en un moins prévisible."),
        "common": _("Ce mot de passe fait partie des mots de passe les plus courants (fuites "
                    "publiques) : choisissez-en un autre."),
        "email": _("Le mot de passe ne doit pas reprendre l'adresse e-mail."),
    }
    return messages.get(code, _("Mot de passe refusé."))
