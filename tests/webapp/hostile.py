"""What the hostile-input suite sends, generated from the app itself: the URL map (every
route, every method, every path argument), the forms its pages render (every field name,
scraped from the HTML), and the OpenAPI document of the JSON API; plus a fingerprint of the
database to prove that a refusal changed nothing."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from sqlalchemy import inspect, text

#: Values an attacker (or a confused user) types: overflows, non-ASCII digits, control
#: characters, header injection, markup, traversal, huge and empty text.
HOSTILE_VALUES: tuple[str, ...] = (
    "", " ", "0", "-1", "9223372036854775808", "1" + "0" * 400, "-" + "9" * 30, "1e400",
    "nan", "inf", "1.5", "0x10", "²", "٣", "1\u00a0000", "\x00", "5\x000000", "a\x1bb",
    "a\r\nSet-Cookie: pwned=1", "\u202eevil", "<script>alert(1)</script>", "' OR 1=1 --",
    "../../etc/passwd", "//evil.example/x", "javascript:alert(1)", "{{7*7}}", "[]", "null",
    "x" * 5000, "é" * 300, "admin@example.com\x00", "\ufeff42",
)
#: Path arguments: the same, for the ones a URL can carry.
HOSTILE_PATH_VALUES: tuple[str, ...] = (
    "0", "-1", "2147483648", "9223372036854775808", "1" + "0" * 400, "²", "٣", "1.5",
    "%00", "5%000000", "..%2F..%2Fetc%2Fpasswd", "%0d%0aX-Injected:1", "%E2%80%AE1",
    "%3Cscript%3E", "x" * 3000, "1e5",
)
#: Query arguments the views read (besides the forms' own fields).
QUERY_NAMES: tuple[str, ...] = ("page", "q", "sk_id_curr", "status", "next", "lang", "section",
                                "token", "id")
#: Headers the app reads or that change how it answers.
HOSTILE_HEADERS: tuple[dict[str, str], ...] = (
    {"HX-Request": "true"}, {"HX-Request": "true", "HX-Trigger-Name": "TERM"},
    {"Accept": "application/json"}, {"Accept": "*/*;q=abc"},
    {"Accept-Language": "xx;q=" + "9" * 400}, {"Authorization": "Bearer pad_" + "x" * 300},
    {"Authorization": "Bearer \u00e9\u00e9"}, {"Authorization": "Basic Zm9vOmJhcg=="},
    {"Content-Type": "application/json"}, {"Content-Type": "text/plain; charset=bogus"},
    {"Content-Type": "multipart/form-data"}, {"Cookie": "session=" + "A" * 3000},
    {"X-CSRFToken": "forged"}, {"HX-Current-URL": "javascript:alert(1)"},
)


@dataclass
class FormSpec:
    """A form found on a page: where it posts, its method, its fields with their values."""

    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)


class _FormScraper(HTMLParser):
    def __init__(self, page_url: str) -> None:
        super().__init__()
        self.page_url = page_url
        self.forms: list[FormSpec] = []
        self._current: FormSpec | None = None
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: (v or "") for k, v in attrs}
        if tag == "form":
            action = values.get("action") or self.page_url.split("?")[0]
            self._current = FormSpec(action, values.get("method", "get").upper())
            self.forms.append(self._current)
        elif self._current is not None and tag in ("input", "textarea", "select", "button"):
            name = values.get("name")
            if not name:
                return
            if tag == "select":
                self._select = name
                self._current.fields.setdefault(name, "")
            elif values.get("type") in ("checkbox", "radio") and name in self._current.fields:
                return
            else:
                self._current.fields.setdefault(name, values.get("value", ""))
        elif tag == "option" and self._current is not None and self._select \
                and not self._current.fields.get(self._select):
            self._current.fields[self._select] = values.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._current = None
        elif tag == "select":
            self._select = None


def scrape_forms(html: str, page_url: str) -> list[FormSpec]:
    """Every form of a page, with its fields' names and default values."""
    scraper = _FormScraper(page_url)
    scraper.feed(html)
    return scraper.forms


_PATH_ARGUMENT = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")


def fill_rule(rule: str, valid: dict[str, str], hostile: tuple[str, str] | None = None) -> str:
    """The URL of a rule with its arguments filled in (one of them hostile)."""

    def replace(match: re.Match) -> str:
        name = match.group(2)
        if hostile is not None and hostile[0] == name:
            return hostile[1]
        return valid[name]

    return _PATH_ARGUMENT.sub(replace, rule)


def path_arguments(rule: str) -> list[str]:
    """The names of a rule's arguments."""
    return [m.group(2) for m in _PATH_ARGUMENT.finditer(rule)]


_COLUMNS: dict[str, list[tuple[str, list[str]]]] = {}


def database_fingerprint(engine) -> str:
    """A digest of every table's content, bookkeeping columns left out (last use of a
    token, last sign-in): what a refused request must leave unchanged."""
    ignored = {"last_used_at", "last_login_at"}
    key = str(engine.url)
    if key not in _COLUMNS:  # reflect once
        inspector = inspect(engine)
        _COLUMNS[key] = [(table, [c["name"] for c in inspector.get_columns(table)
                                  if c["name"] not in ignored])
                         for table in sorted(inspector.get_table_names())
                         if table != "alembic_version"]
    digest = hashlib.sha256()
    with engine.connect() as connection:
        for table, columns in _COLUMNS[key]:
            listed = ", ".join(f'"{c}"' for c in columns)
            if table == "decision_records":  # append-only (triggers): its size and last row
                listed = "count(*), max(id)"
            digest.update(table.encode())
            for row in connection.execute(text(f'SELECT {listed} FROM "{table}" ORDER BY 1')):
                digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


def hostile_json_bodies(fields: list[str]) -> Iterator[tuple[str, bytes]]:
    """Raw JSON bodies for ``POST /api/v1/score``: nesting, overflows, non-numbers, wrong
    shapes; each with a name for the report."""
    yield "1000 nested [", b"[" * 1000 + b"]" * 1000
    yield "100000 nested {", b'{"a":' * 100000 + b"1" + b"}" * 100000
    yield "unclosed nesting", b"[" * 5000
    yield "NaN literal", b'{"AMT_CREDIT": NaN}'
    yield "Infinity literal", b'{"AMT_CREDIT": -Infinity}'
    yield "310-digit integer", b'{"AMT_CREDIT": 1' + b"0" * 309 + b"}"
    yield "1e400", b'{"AMT_CREDIT": 1e400}'
    yield "not UTF-8", b'{"NAME_CONTRACT_TYPE": "\xff\xfe"}'
    yield "a list", b"[1, 2, 3]"
    yield "a string", b'"hello"'
    yield "empty", b""
    yield "duplicate keys", b'{"AMT_CREDIT": 1, "AMT_CREDIT": "x"}'
    yield "lone surrogate", b'{"NAME_CONTRACT_TYPE": "\\ud800"}'
    yield "NUL in text", b'{"NAME_CONTRACT_TYPE": "Cash\\u0000loans"}'
    yield "huge text", b'{"NAME_CONTRACT_TYPE": "' + b"x" * 60000 + b'"}'
    yield "too large", b'{"a": "' + b"x" * 70000 + b'"}'
    for name in fields:
        for label, value in (("nested", b"[[[[1]]]]"), ("object", b'{"x": 1}'),
                             ("true", b"true"), ("big int", b"1" + b"0" * 40),
                             ("negative big", b"-" + b"9" * 25), ("string", b'"\\u0000"')):
            yield f"{name} = {label}", b'{"' + name.encode() + b'": ' + value + b"}"


def seed_values(base: dict[str, Any]) -> dict[str, str]:
    """``base`` with every value as text (path arguments)."""
    return {k: str(v) for k, v in base.items()}
