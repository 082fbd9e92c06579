"""Numbers, money, percentages and durations in the reader's language (French by default).

Plain functions; the language is the request's (``webapp.i18n.current_language``) unless
given (``"fr"`` or ``"en"``). The templates reach them through Jinja filters
(``webapp/ui/templating.py``). French pages use a decimal comma, a narrow no-break space
between thousands, as Babel's French locale writes them, and a no-break space before ``%``
and ``€``.
"""

from __future__ import annotations

import math

from babel.numbers import format_currency, format_decimal, format_percent

from ml.credit.labels import MISSING

from ..i18n import current_language

#: Between a French number and its unit (``12,3 %``, ``250 €``): no line may break there.
NBSP = "\u00a0"


def _language(lang: str | None) -> str:
    return lang if lang in ("fr", "en") else current_language()


def is_missing(value: object) -> bool:
    """``None`` or NaN: a value the applicant did not give."""
    return value is None or (isinstance(value, float) and math.isnan(value))


def money(value: float | None, lang: str | None = None) -> str:
    """Whole euros: ``1 350 000 €`` in French, ``€1,350,000`` in English."""
    lang = _language(lang)
    if is_missing(value):
        return MISSING[lang]
    pattern = "#,##0 ¤" if lang == "fr" else "¤#,##0"
    text = format_currency(round(float(value)), "EUR", format=pattern, locale=lang,
                           currency_digits=False)
    return text.replace(" €", NBSP + "€")


def number(value: float | None, lang: str | None = None, digits: int = 0) -> str:
    """A number with grouped thousands and up to ``digits`` decimals."""
    lang = _language(lang)
    if is_missing(value):
        return MISSING[lang]
    pattern = "#,##0" + ("." + "#" * digits if digits else "")
    return format_decimal(float(value), format=pattern, locale=lang)


def fixed(value: float | None, lang: str | None = None, digits: int = 2) -> str:
    """A number with exactly ``digits`` decimals (scores, log-odds)."""
    lang = _language(lang)
    if is_missing(value):
        return MISSING[lang]
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(float(value), format=pattern, locale=lang)


def percent(value: float | None, lang: str | None = None, digits: int = 1) -> str:
    """A share (0.123) as ``12,3 %`` / ``12.3%``."""
    lang = _language(lang)
    if is_missing(value):
        return MISSING[lang]
    decimals = ("." + "0" * digits) if digits else ""
    pattern = f"#,##0{decimals} %" if lang == "fr" else f"#,##0{decimals}%"
    return format_percent(float(value), format=pattern, locale=lang).replace(" %", NBSP + "%")


def years(value: float | None, lang: str | None = None, digits: int = 0) -> str:
    """A duration in years: ``42 ans`` / ``42 years`` (``1 an`` / ``1 year``)."""
    lang = _language(lang)
    if is_missing(value):
        return MISSING[lang]
    shown = number(value, lang, digits)
    single = abs(float(value)) < 2 and round(float(value), digits) in (0, 1)
    if lang == "fr":
        return f"{shown} {'an' if single else 'ans'}"
    return f"{shown} {'year' if round(float(value), digits) == 1 else 'years'}"


def times(value: float | None, lang: str | None = None) -> str:
    """A multiple: ``2,4 fois`` / ``2.4 times``."""
    lang = _language(lang)
    if is_missing(value):
        return MISSING[lang]
    return f"{number(value, lang, 1)} {'fois' if lang == 'fr' else 'times'}"


def missing(lang: str | None = None) -> str:
    """How a value the applicant did not give reads."""
    return MISSING[_language(lang)]
