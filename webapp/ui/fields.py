"""Form fields shared by the features: numbers typed the French way."""

from __future__ import annotations

import math
import re

from flask_babel import lazy_gettext as _l
from wtforms import Field, IntegerField
from wtforms.validators import StopValidation
from wtforms.widgets import TextInput

from ..i18n import current_language

_SPACES = re.compile(r"[\s\u00a0\u202f']")
_WHOLE_NUMBER = re.compile(r"[+-]?\d{1,15}")
MAX_INPUT_LENGTH = 40


def parse_number(text: str) -> float:
    """``"1 350 000,50"``, ``"1350000.5"`` or ``"1,350,000"`` → float (``ValueError`` if not)."""
    cleaned = _SPACES.sub("", text.strip())
    for suffix in ("€", "%", "EUR", "eur"):
        cleaned = cleaned.removesuffix(suffix)
    if not cleaned or len(cleaned) > MAX_INPUT_LENGTH:
        raise ValueError(text)
    if "," in cleaned and "." in cleaned:
        # the last separator is the decimal one
        if cleaned.rfind(",") > cleaned.rfind("."):
            cleaned = cleaned.replace(".", "").replace(",", ".")
        else:
            cleaned = cleaned.replace(",", "")
    elif cleaned.count(",") == 1:
        cleaned = cleaned.replace(",", ".")
    elif cleaned.count(",") > 1:
        cleaned = cleaned.replace(",", "")
    if not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)", cleaned):
        raise ValueError(text)
    value = float(cleaned)
    if not math.isfinite(value):
        raise ValueError(text)
    return value


def input_text(value: float, digits: int = 6) -> str:
    """A number as an input shows it: no thousands separator (``1,350`` would be ambiguous),
    the page's decimal mark (``19,5`` in French, ``19.5`` in English)."""
    text = f"{round(value):d}" if float(value).is_integer() else f"{round(value, digits):g}"
    if "e" in text:  # huge or tiny: write it out
        text = f"{value:.{digits}f}".rstrip("0").rstrip(".")
    return text.replace(".", ",") if current_language() == "fr" else text


class FrenchNumberField(Field):
    """A number typed as text (``inputmode="decimal"``), French or English separators.

    Empty input gives ``None`` (use ``InputRequired``/``DataRequired`` to forbid it); text
    that is not a number gives a field error, never an exception.
    """

    widget = TextInput()

    def __init__(self, label=None, validators=None, **kwargs):
        render_kw = {"inputmode": "decimal", "autocomplete": "off",
                     "maxlength": str(MAX_INPUT_LENGTH), **kwargs.pop("render_kw", {})}
        super().__init__(label, validators, render_kw=render_kw, **kwargs)

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        if self.data is None:
            return ""
        return input_text(float(self.data))

    def pre_validate(self, form) -> None:
        """A value that is not a number gets one message, not the range's too."""
        if self.process_errors:
            raise StopValidation()

    def process_formdata(self, valuelist):
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        try:
            self.data = parse_number(valuelist[0])
        except ValueError:
            self.data = None
            raise ValueError(_l("Saisissez un nombre (par exemple 1 350 000 ou 12,5).")) from None


class BoundedIntegerField(IntegerField):
    """A whole number of at most 15 digits (a page, an ID): anything longer or not a number
    gets a field error. WTForms' own ``IntegerField`` took a 400-digit number, which its
    ``NumberRange`` then failed to compare (an ``OverflowError``, a 500)."""

    def process_formdata(self, valuelist):
        if not valuelist or not str(valuelist[0]).strip():
            self.data = None
            return
        text = str(valuelist[0]).strip()
        if not _WHOLE_NUMBER.fullmatch(text):
            self.data = None
            raise ValueError(_l("Saisissez un nombre entier (15 chiffres au plus)."))
        self.data = int(text)
