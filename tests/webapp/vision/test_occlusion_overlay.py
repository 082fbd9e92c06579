"""The occlusion overlays, loaded after the predictions: each placeholder of the result posts
the photo back (as the models see it) with its model and class, and gets the overlay the
one-step page would have shown. The request is checked like any upload: hostile fields get
a 4xx with a message in place, never a 500."""

from __future__ import annotations

import base64
import io
import re

import numpy as np
import pytest
from PIL import Image

from ml.serving.vision import IMAGE_SIZE, preprocess_image
from webapp.vision.categories import category_name
from webapp.vision.overlays import png_data_uri
from webapp.vision.photo_input import read_model_input, read_photo

PREFIX = "data:image/png;base64,"


def _png(size: tuple[int, int], fmt: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (180, 60, 40)).save(buffer, fmt)
    return buffer.getvalue()


def _data_uri(data: bytes) -> str:
    return PREFIX + base64.b64encode(data).decode("ascii")


def _overlay(html: str, overlay: str) -> tuple[str, str]:
    """The heatmap (data URI) and the description of one overlay shown in ``html``."""
    heat = re.search(rf'<img src="([^"]+)"[^>]*data-testid="overlay-{overlay}"', html)
    caption = re.search(rf'id="{overlay}-caption">([^<]+)</figcaption>', html)
    assert heat and caption, f"no {overlay} overlay"
    return heat.group(1), caption.group(1)


@pytest.fixture
def visitor(client, vision_models, csrf_token):
    """An anonymous browser and the headers htmx sends (the CSRF token among them)."""
    return client, {"HX-Request": "true", "X-CSRFToken": csrf_token(client, "/image")}


@pytest.fixture
def follow_ups(visitor, upload, occlusion_requests, real_photo):
    """The occlusion requests that the result partial of a real photo makes."""
    client, headers = visitor
    partial = upload(client, real_photo, htmx=True, headers=headers).get_data(as_text=True)
    return occlusion_requests(partial)


def test_each_follow_up_shows_the_overlay_the_one_step_page_shows(visitor, follow_ups, upload,
                                                                   client_nocsrf, real_photo):
    client, headers = visitor
    assert set(follow_ups) == {"vit", "efficientnet"}
    whole_page = upload(client_nocsrf, real_photo).get_data(as_text=True)
    for model, (url, fields) in follow_ups.items():
        response = client.post(url, data=fields, headers=headers)
        assert response.status_code == 200, response.text
        assert "<html" not in response.text and 'type="range"' in response.text
        assert _overlay(response.text, f"{model}-occlusion") == \
            _overlay(whole_page, f"{model}-occlusion")
        # the category in the page's language (the form carries the model's own label)
        assert f"« {category_name(fields['label'], 'fr')} »" in response.text


def test_the_photo_posted_back_gives_the_same_occlusion_map(vision_models, real_photo):
    """The page posts back the 224 px PNG it shows; preprocessing a 224 px square is the
    identity (Pillow's resize to the same size copies), so the map is the upload's map."""
    upload = read_photo(real_photo)
    assert upload.image.size != (IMAGE_SIZE, IMAGE_SIZE)  # padded and resized on the way
    first = vision_models.classify(upload.image, saliency=True)
    back = read_model_input(png_data_uri(vision_models.model_input(upload.image)), IMAGE_SIZE)
    assert np.array_equal(preprocess_image(back.image), preprocess_image(upload.image))
    for model, entry in first["models"].items():
        occlusion = vision_models.occlusion(back.image, model, entry["label"])
        assert np.array_equal(occlusion, entry["saliency"]["occlusion"])
        assert occlusion.max() > 0.5  # a map with something in it


def _hostile(fields: dict[str, str], hostile_files) -> dict[str, tuple[dict, int, str]]:
    """name -> (the request's fields, expected status, words of the message)."""
    photo = fields["photo"]
    png = base64.b64decode(photo[len(PREFIX):])
    bomb = hostile_files["png_bomb_90mp"][0]
    gif = hostile_files["gif_animation"][0]
    return {
        "garbage_base64": ({**fields, "photo": PREFIX + "%%%not*base64!!"}, 400, "PNG lisible"),
        "not_a_data_uri": ({**fields, "photo": "https://example.com/p.png"}, 400,
                           "PNG lisible"),
        "jpeg_not_png": ({**fields, "photo": _data_uri(_png((224, 224), "JPEG"))}, 400,
                         "PNG lisible"),
        "gif_not_png": ({**fields, "photo": _data_uri(gif)}, 400, "PNG lisible"),
        "too_small_photo": ({**fields, "photo": _data_uri(_png((100, 80)))}, 400,
                            "224 × 224"),
        "original_size_photo": ({**fields, "photo": _data_uri(_png((448, 448)))}, 400,
                                "224 × 224"),
        "truncated_png": ({**fields, "photo": _data_uri(png[: len(png) // 2])}, 422,
                          "tronqué"),
        "empty_png": ({**fields, "photo": PREFIX}, 422, "vide"),
        "png_bomb_90mp": ({**fields, "photo": _data_uri(bomb)}, 413, "trop de pixels"),
        "huge_20mb": ({**fields, "photo": PREFIX + "A" * (20 * 1024 * 1024)}, 413,
                      "volumineux"),
        "too_long_for_224_px": ({**fields, "photo": PREFIX + "A" * 600_000}, 413,
                                 "trop volumineuse"),
        "unknown_model": ({**fields, "model": "resnet50"}, 400, "Modèle inconnu"),
        "model_path": ({**fields, "model": "../vit"}, 400, "Modèle inconnu"),
        "unknown_class": ({**fields, "label": "Garden Tools"}, 400, "Catégorie inconnue"),
        "class_index": ({**fields, "label": "3"}, 400, "Catégorie inconnue"),
        "no_photo": ({k: v for k, v in fields.items() if k != "photo"}, 400,
                     "Choisissez une photo"),
        "nothing": ({}, 400, "Modèle inconnu"),
    }


HOSTILE_NAMES = ["garbage_base64", "not_a_data_uri", "jpeg_not_png", "gif_not_png",
                 "too_small_photo", "original_size_photo", "truncated_png", "empty_png",
                 "png_bomb_90mp", "huge_20mb", "too_long_for_224_px", "unknown_model",
                 "model_path", "unknown_class", "class_index", "no_photo", "nothing"]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_a_hostile_follow_up_gets_its_message_in_place(visitor, follow_ups, hostile_files,
                                                      name):
    client, headers = visitor
    url, fields = follow_ups["vit"]
    data, status, words = _hostile(fields, hostile_files)[name]
    response = client.post(url, data=data, headers=headers)
    assert response.status_code == status, response.text[:300]
    assert words in response.text and 'role="alert"' in response.text
    assert "<html" not in response.text  # in place of the overlay, not a whole page


def test_every_hostile_case_is_tested(follow_ups, hostile_files):
    assert sorted(_hostile(follow_ups["vit"][1], hostile_files)) == sorted(HOSTILE_NAMES)


def test_a_follow_up_without_the_csrf_token_is_refused(visitor, follow_ups):
    client, _ = visitor
    url, fields = follow_ups["efficientnet"]
    response = client.post(url, data=fields, headers={"HX-Request": "true"})
    assert response.status_code == 400 and "jeton de sécurité" in response.text
    forged = client.post(url, data=fields, headers={"HX-Request": "true",
                                                    "X-CSRFToken": "forged"})
    assert forged.status_code == 400


def test_follow_ups_have_their_own_rate_limit(app, visitor, follow_ups, upload, real_photo):
    """A photo costs one classification and two overlays: the overlays have their own
    budget, so that they neither use up the visitor's photos nor go unlimited."""
    client, headers = visitor
    url, fields = follow_ups["vit"]
    app.config["PAD_VISION_OVERLAY_RATE_LIMIT"] = "2 per minute"
    try:
        answers = [client.post(url, data=fields, headers=headers) for _ in range(3)]
        photo = upload(client, real_photo, htmx=True, headers=headers)
    finally:
        app.config["PAD_VISION_OVERLAY_RATE_LIMIT"] = "10000 per minute"
    assert [answer.status_code for answer in answers] == [200, 200, 429]
    refused = answers[2].get_data(as_text=True)
    # Swapped in place of the overlay, inside the model's column (its <h3>): the message,
    # without a heading of its own that would break the page's outline.
    assert "Trop de tentatives" in refused and "<h2" not in refused and 'role="alert"' in refused
    assert photo.status_code == 200  # the classification budget is untouched


def test_english_placeholders_and_overlay(client, vision_models, csrf_token, upload,
                                          occlusion_requests, real_photo):
    token = csrf_token(client, "/image")
    client.post("/langue", data={"lang": "en", "csrf_token": token})
    headers = {"HX-Request": "true", "X-CSRFToken": token}
    partial = upload(client, real_photo, htmx=True, headers=headers).get_data(as_text=True)
    assert "Computing the occlusion map of ViT (DINOv2)…" in partial
    assert "could not be computed (server or network error)" in partial
    url, fields = occlusion_requests(partial)["vit"]
    response = client.post(url, data={**fields, "model": "resnet"}, headers=headers)
    assert "Unknown model" in response.text


def test_follow_up_without_models_says_so(app, visitor, follow_ups, vision_models):
    client, headers = visitor
    url, fields = follow_ups["vit"]
    loaded = app.extensions["pad_models"]
    loaded.vision = None
    try:
        response = client.post(url, data=fields, headers=headers)
    finally:
        loaded.vision = vision_models
    assert response.status_code == 503 and "pas chargés" in response.text
