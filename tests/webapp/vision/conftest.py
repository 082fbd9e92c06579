"""Fixtures of the image page tests: the vision stand-ins (``standins.py``), a real catalogue
photo, an upload helper, a browser without CSRF checks, and the follow-up occlusion request a
result partial makes."""

from __future__ import annotations

import html
import json
import re

import pytest

from ml.config import vision_data_dir
from tests.webapp.vision import standins

_PENDING = re.compile(r'hx-post="(?P<url>[^"]+)" hx-trigger="load"[^>]*'
                      r"hx-vals='(?P<vals>[^']+)'")
_PHOTO = re.compile(r'id="vision-photo" name="photo" value="([^"]+)"')


@pytest.fixture(scope="session")
def vision_models(app):
    """The stand-in vision models, installed into the session app."""
    return standins.install_stub_models(app)


@pytest.fixture(scope="session")
def photo_bytes():
    """``photo_bytes(mode, size, fmt, **save)``: an in-memory product-like picture."""
    return standins.photo


@pytest.fixture(scope="session")
def hostile_files() -> dict[str, tuple[bytes, str, str]]:
    """name -> (bytes, file name, expected refusal reason) for the upload tests."""
    return standins.hostile_files()


@pytest.fixture
def real_photo() -> bytes:
    """A real catalogue photo (the data folder is part of the test setup)."""
    return next((vision_data_dir() / "images").glob("*.jpg")).read_bytes()


def _upload(client, data: bytes, name: str = "photo.jpg", htmx: bool = False,
            url: str = "/image", headers: dict[str, str] | None = None):
    boundary = "pad-test-boundary-7c1e"
    body = (f'--{boundary}\r\nContent-Disposition: form-data; name="photo"; '
            f'filename="{name}"\r\nContent-Type: application/octet-stream\r\n\r\n'
            ).encode() + data + f"\r\n--{boundary}--\r\n".encode()
    headers = {**({"HX-Request": "true"} if htmx else {}), **(headers or {})}
    return client.post(url, data=body, headers=headers,
                       content_type=f"multipart/form-data; boundary={boundary}")


def _occlusion_requests(partial: str) -> dict[str, tuple[str, dict[str, str]]]:
    photo = _PHOTO.search(partial)
    assert photo, "no photo to post back in the result"
    requests = {}
    for match in _PENDING.finditer(partial):
        fields = json.loads(html.unescape(match["vals"]))
        requests[fields["model"]] = (html.unescape(match["url"]),
                                     {**fields, "photo": html.unescape(photo.group(1))})
    return requests


@pytest.fixture
def upload():
    """``upload(client, data, name, htmx=False, url="/image", headers=None)``: post
    ``data`` as the multipart field ``photo``, encoded here in memory (the test client would
    spool a large body to a temporary file it never closes on a 413)."""
    return _upload


@pytest.fixture
def occlusion_requests():
    """``occlusion_requests(partial)``: what each placeholder of a result partial posts,
    ``{model: (url, form fields)}``, read from the markup as htmx reads it."""
    return _occlusion_requests


@pytest.fixture
def client_nocsrf(app, vision_models):
    """An anonymous browser, CSRF checks off (they have their own tests)."""
    app.config["WTF_CSRF_ENABLED"] = False
    yield app.test_client()
    app.config["WTF_CSRF_ENABLED"] = True
