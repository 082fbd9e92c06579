"""The image page for French users and its contract for other tools: categories in the
request's language (``label_text``; ``label`` stays the dataset's), a warning in words when
the models are unsure (``uncertain`` and its reasons), the true category under each gallery
photo, the original photo beside each overlay, the training steps of ``report.json`` in
French."""

from __future__ import annotations

import io
import re
from html.parser import HTMLParser

import pytest
from PIL import Image

from webapp.vision.categories import CATEGORIES, category_name, step_text

API = "/api/v1/vision/classify"


def _png(colour: tuple[int, int, int], size: tuple[int, int] = (200, 160)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "PNG")
    return buffer.getvalue()


#: A light grey the two stand-in models put in neighbouring categories (they disagree).
DISAGREEING_GREY = _png((242, 242, 242))


class _VisibleText(HTMLParser):
    """The text a reader sees (no attributes, no hidden inputs)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def _visible(html: str) -> str:
    parser = _VisibleText()
    parser.feed(html)
    return re.sub(r"\s+", " ", " ".join(parser.parts))


def test_the_api_names_each_category_in_the_requested_language(upload, client, vision_models,
                                                                real_photo):
    french = upload(client, real_photo, url=API).get_json()
    english = upload(client, real_photo, url=f"{API}?lang=en").get_json()
    for name, entry in french["models"].items():
        assert entry["label"] in vision_models.labels  # the dataset's name, unchanged
        assert entry["label_text"] == CATEGORIES[entry["label"]][0]
        assert english["models"][name]["label"] == entry["label"]
        assert english["models"][name]["label_text"] == CATEGORIES[entry["label"]][1]


def test_the_api_says_when_the_models_are_unsure_and_why(upload, client, vision_models):
    body = upload(client, DISAGREEING_GREY, "grey.png", url=API).get_json()
    labels = {name: entry["label"] for name, entry in body["models"].items()}
    assert len(set(labels.values())) == 2, "the stand-ins should disagree on this grey"
    assert body["uncertain"] is True and body["agree"] is False
    reasons = {reason["code"]: reason for reason in body["uncertainty"]["reasons"]}
    assert reasons["models_disagree"]["labels"] == labels


@pytest.fixture
def served_models(app, vision_models):
    """The exported models of ``artifacts/vision`` in place of the stand-ins, for one test."""
    from ml.config import vision_artifacts_dir
    from ml.serving.vision import load_vision_models

    folder = vision_artifacts_dir()
    if not (folder / "metadata.json").is_file():
        pytest.skip("no exported image models in artifacts/vision")
    loaded = app.extensions["pad_models"]
    loaded.vision = load_vision_models(folder, quantized=True)
    yield loaded.vision
    loaded.vision = vision_models


def test_a_blank_image_is_flagged_by_the_served_models(upload, client, served_models):
    body = upload(client, _png((255, 255, 255)), "blank.png", url=API).get_json()
    assert body["uncertain"] is True
    codes = {reason["code"] for reason in body["uncertainty"]["reasons"]}
    assert "unfamiliar" in codes  # far from every training photo, whatever the probabilities


def test_the_page_warns_in_words_when_the_models_are_unsure(upload, client_nocsrf):
    html = upload(client_nocsrf, DISAGREEING_GREY, "grey.png").get_data(as_text=True)
    warning = re.search(r'<div class="warning uncertain" role="status" data-testid="uncertain">'
                        r"(.*?)</div>", html, re.S)
    assert warning, "no warning"
    text = _visible(warning.group(1))
    assert "⚠" in text and "Vérifiez la catégorie vous-même" in text
    assert "ne sont pas d'accord" in text
    assert any(f"« {names[0]} »" in text for names in CATEGORIES.values())  # in French


def test_the_warning_is_in_english_on_english_pages(upload, client_nocsrf):
    with client_nocsrf.session_transaction() as session:
        session["lang"] = "en"
    try:
        html = upload(client_nocsrf, DISAGREEING_GREY, "grey.png").get_data(as_text=True)
    finally:
        with client_nocsrf.session_transaction() as session:
            session.pop("lang")
    warning = _visible(html[html.index('data-testid="uncertain"'):])
    assert "Check the category yourself" in warning and "disagree" in warning


def test_no_warning_when_the_models_are_sure(upload, client_nocsrf, vision_models, real_photo):
    outcome = vision_models.classify(Image.open(io.BytesIO(real_photo)), saliency=False)
    html = upload(client_nocsrf, real_photo).get_data(as_text=True)
    assert ('data-testid="uncertain"' in html) == outcome["uncertain"]


def test_results_name_categories_in_french_only(upload, client_nocsrf, real_photo):
    html = upload(client_nocsrf, real_photo).get_data(as_text=True)
    result = _visible(html[html.index('data-testid="vision-result"'):])
    french = [names[0] for names in CATEGORIES.values()]
    assert sum(name in result for name in french) >= 5  # two top-5 lists
    for label in CATEGORIES:
        assert label not in result, f"dataset name {label!r} shown on a French page"


def test_the_gallery_shows_each_photo_s_true_category(client, app, vision_models):
    from ml.config import vision_data_dir
    from ml.vision.data import load_catalogue

    truth = load_catalogue(vision_data_dir()).set_index("image")["label"]
    html = client.get("/image").get_data(as_text=True)
    items = re.findall(r'name="gallery" value="([^"]+)".*?data-testid="gallery-true">([^<]+)<',
                       html, re.S)
    assert len(items) == len(app.extensions["pad_vision_gallery"]) > 0
    for name, shown in items:
        assert shown == f"Vraie catégorie : {category_name(truth[name], 'fr')}"


def test_each_overlay_has_the_original_photo_beside_it(upload, client_nocsrf):
    html = upload(client_nocsrf, DISAGREEING_GREY, "grey.png").get_data(as_text=True)
    pairs = re.findall(r'data-testid="pair-([a-z]+-[a-z]+)">\s*<div class="overlay-original">'
                       r'<img src="(data:image/png;base64,[^"]+)" alt="([^"]+)"', html)
    assert {p[0] for p in pairs} == {"vit-occlusion", "vit-rollout", "efficientnet-occlusion",
                                     "efficientnet-cam"}
    photo = re.search(r'class="overlay-stack">\s*<img src="([^"]+)"', html).group(1)
    assert all(src == photo for _, src, _ in pairs)  # the very photo under the heatmap
    assert all(alt for _, _, alt in pairs)


@pytest.mark.parametrize("step", [
    "+ mirror views, Keras linear head (AdamW, label smoothing), 5 seeds averaged",
    "+ 3 random view(s) per photo (zoom, rotation, contrast, erasing)",
    "+ 1 extra view(s) per photo (mirror first)",
    "blocks 10-11 fine-tuned on cached tokens: class head alone",
    "+ blocks 10-11 fine-tuned with DeiT distillation: both heads averaged",
    "--fine-tune: blocks 11-15 + head conv trained",
])
def test_the_training_steps_of_the_new_report_are_translated(step):
    text, language = step_text(step, "fr")
    assert language == "fr" and text != step
    numbers = re.findall(r"\d+", step)
    assert re.findall(r"\d+", text) == numbers  # the figures travel into the French text
    assert step_text(step, "en") == (step, "en")


def test_every_step_of_the_served_report_is_in_french():
    import json

    from ml.config import vision_artifacts_dir

    path = vision_artifacts_dir() / "report.json"
    if not path.is_file():
        pytest.skip("no artifacts/vision/report.json")
    steps = [s["step"] for entries in json.loads(path.read_text())["steps"].values()
             for s in entries]
    untranslated = [s for s in steps if step_text(s, "fr")[1] != "fr"]
    assert not untranslated


def test_the_openapi_document_describes_the_image_contract(client):
    document = client.get("/api/v1/openapi.json").get_json()
    operation = document["paths"]["/vision/classify"]["post"]
    assert operation["security"] == []  # public
    schema = document["components"]["schemas"]["VisionClassification"]
    assert {"uncertain", "uncertainty", "agree", "models"} <= set(schema["required"])
    model = schema["properties"]["models"]["additionalProperties"]
    assert {"label", "label_text", "top5", "ms"} == set(model["required"])


def test_the_study_says_which_training_steps_were_kept(client, vision_models):
    import copy

    saved = vision_models.report
    report = copy.deepcopy(saved)
    steps = [s for entries in report["steps"].values() for s in entries]
    for index, step in enumerate(steps):  # as the new report.json says: kept or not
        step["kept"] = index % 3 != 1
    vision_models.report = report
    try:
        html = client.get("/image/etude").get_data(as_text=True)
    finally:
        vision_models.report = saved
    cells = re.findall(r'<td data-kept="(True|False)">(.*?)</td>', html)
    assert [flag for flag, _ in cells] == [str(s["kept"]) for s in steps]
    assert all(("oui" if flag == "True" else "non") in text for flag, text in cells)
