"""The image page and its JSON endpoint: both models side by side, hostile files refused
with their message (never a 500), nothing stored, rate-limited, French first."""

from __future__ import annotations

import io

import pytest
from PIL import Image

HOSTILE = {  # name -> expected status through the web (20 MB is above MAX_CONTENT_LENGTH)
    "truncated_jpeg": (422, "tronqué"), "empty": (422, "vide"),
    "noise_20mb": (413, "volumineux"), "png_bomb_90mp": (413, "trop de pixels"),
    "svg_with_script": (415, "SVG"), "pdf_renamed_jpg": (415, "PDF"),
    "gif_animation": (415, "GIF"), "one_pixel": (422, "trop petite"),
    "text_named_png": (415, "JPEG, PNG ou WebP"),
}


def test_page_is_public_and_french_first(client, vision_models):
    html = client.get("/image").get_data(as_text=True)
    assert '<html lang="fr">' in html and "Classer une photo de produit" in html
    assert 'type="file"' in html and 'enctype="multipart/form-data"' in html
    assert 'hx-post="/image"' in html and "data-dropzone" in html
    assert "/image/galerie/" in html  # the gallery


def test_htmx_answers_the_predictions_first_and_the_occlusion_overlays_follow(
        upload, client_nocsrf, real_photo):
    response = upload(client_nocsrf, real_photo, htmx=True)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<html" not in html  # the partial
    for model in ("vit", "efficientnet"):
        assert f'data-testid="label-{model}"' in html
        assert f'data-testid="overlay-{model}-occlusion"' not in html  # not computed yet
        assert f'data-testid="pending-{model}-occlusion"' in html
    assert html.count('hx-post="/image/occlusion" hx-trigger="load"') == 2
    assert html.count('role="status" data-overlay-status>Carte d\'occlusion de ') == 2
    # The overlays that come with the forward pass are there at once, described in words.
    assert 'data-testid="overlay-vit-rollout"' in html
    assert 'data-testid="overlay-efficientnet-cam"' in html
    assert 'alt="Attention rollout' in html and 'alt="Carte d&#39;activation de classe' in html
    assert "Temps d'inférence" in html and "d'accord" in html
    assert 'data-opacity-for=' in html and "data:image/png;base64," in html


def test_plain_form_post_without_javascript_gets_every_overlay_at_once(upload, client_nocsrf,
                                                                       real_photo):
    html = upload(client_nocsrf, real_photo).get_data(as_text=True)
    assert "<html" in html and 'data-testid="vision-result"' in html
    for overlay in ("vit-occlusion", "efficientnet-occlusion", "vit-rollout",
                    "efficientnet-cam"):
        assert f'data-testid="overlay-{overlay}"' in html
    assert 'alt="Occlusion' in html  # each overlay is described
    assert "pending-" not in html and "/image/occlusion" not in html


def test_gallery_photo_is_classified_and_served(client_nocsrf, vision_models, app):
    name = app.extensions["pad_vision_gallery"][0]
    thumb = client_nocsrf.get(f"/image/galerie/{name}")
    assert thumb.status_code == 200 and thumb.mimetype == "image/jpeg"
    assert max(Image.open(io.BytesIO(thumb.data)).size) <= 160
    response = client_nocsrf.post("/image", data={"gallery": name},
                                  headers={"HX-Request": "true"})
    assert response.status_code == 200 and 'data-testid="label-vit"' in response.text


@pytest.mark.parametrize("name", ["../../../etc/passwd", "..%2F..%2Fsetup.cfg",
                                  "00000000000000000000000000000000.jpg"])
def test_gallery_refuses_names_outside_its_list(client_nocsrf, name):
    assert client_nocsrf.get(f"/image/galerie/{name}").status_code == 404
    response = client_nocsrf.post("/image", data={"gallery": name})
    assert response.status_code == 404


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_file_gets_its_message_on_the_page(upload, client_nocsrf, hostile_files, name):
    data, filename, _ = hostile_files[name]
    status, words = HOSTILE[name]
    response = upload(client_nocsrf, data, filename, htmx=True)
    assert response.status_code == status
    assert words in response.get_data(as_text=True)


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_file_gets_a_json_error(upload, client, vision_models, hostile_files, name):
    data, filename, _ = hostile_files[name]
    response = upload(client, data, filename, url="/api/v1/vision/classify")
    assert response.status_code == HOSTILE[name][0]
    assert response.get_json()["error"]


def test_json_endpoint_has_the_documented_shape(upload, client, vision_models, real_photo):
    response = upload(client, real_photo, url="/api/v1/vision/classify")
    assert response.status_code == 200, response.text
    body = response.get_json()
    assert set(body) == {"models", "agree", "uncertain", "uncertainty"}
    assert isinstance(body["agree"], bool) and isinstance(body["uncertain"], bool)
    assert body["uncertain"] == bool(body["uncertainty"]["reasons"])
    assert set(body["models"]) == {"vit", "efficientnet"}
    for entry in body["models"].values():
        assert set(entry) == {"label", "label_text", "top5", "ms"}
        assert entry["label"] == entry["top5"][0][0] and len(entry["top5"]) == 5
        assert all(0.0 <= p <= 1.0 for _, p in entry["top5"])
    labels = {e["label"] for e in body["models"].values()}
    assert body["agree"] == (len(labels) == 1)


def test_json_endpoint_without_the_field(client, vision_models):
    response = client.post("/api/v1/vision/classify", data={})
    assert response.status_code == 400 and "photo" in response.get_json()["error"]


def test_sixteen_bit_png_is_accepted(upload, client, vision_models):
    import numpy as np

    buffer = io.BytesIO()
    Image.fromarray((np.arange(64 * 64).reshape(64, 64) * 16).astype(np.uint16)).save(
        buffer, "PNG")
    response = upload(client, buffer.getvalue(), "deep.png", url="/api/v1/vision/classify")
    assert response.status_code == 200


def test_uploads_are_not_stored(upload, client_nocsrf, real_photo, app, tmp_path):
    from pathlib import Path

    instance = Path(app.instance_path)
    before = {p for p in instance.rglob("*")} if instance.exists() else set()
    upload(client_nocsrf, real_photo)
    after = {p for p in instance.rglob("*")} if instance.exists() else set()
    assert after == before


def test_rate_limited_from_the_environment_setting(app, client, vision_models):
    app.config["PAD_VISION_RATE_LIMIT"] = "3 per minute"
    try:
        codes = [client.post("/api/v1/vision/classify", data={}).status_code
                 for _ in range(4)]
    finally:
        app.config["PAD_VISION_RATE_LIMIT"] = "10000 per minute"
    assert codes == [400, 400, 400, 429]


def test_english_is_available(client, vision_models, csrf_token):
    client.post("/langue", data={"lang": "en", "csrf_token": csrf_token(client, "/image")})
    html = client.get("/image").get_data(as_text=True)
    assert '<html lang="en">' in html and "Classify a product photo" in html
    study = client.get("/image/etude").get_data(as_text=True)
    assert "State of the art" in study and "Vision Transformer" in study


def test_study_page_quotes_the_report(client, vision_models):
    html = client.get("/image/etude").get_data(as_text=True)
    from webapp.ui.formatting import percent

    report = vision_models.report
    for name in ("vit", "efficientnet"):
        accuracy = report["models"][name]["test"]["accuracy"]
        assert percent(accuracy, "fr") in html
    assert "Matrice de confusion" in html and "Rappel par catégorie" in html
    assert "Courbes d'apprentissage" in html and "patches" in html
    assert "SPT" in html and "LSA" in html and "DINO" in html
    assert "Conclusion" in html and '<div class="plot" id="confusion-vit" data-chart' in html


def test_image_page_without_models_says_so(app, client, vision_models):
    loaded = app.extensions["pad_models"]
    loaded.vision = None
    try:
        response = client.get("/image")
        api = client.post("/api/v1/vision/classify", data={})
    finally:
        loaded.vision = vision_models
    assert response.status_code == 503 and "pas chargés" in response.text
    assert api.status_code == 503 and api.get_json()["error"]
