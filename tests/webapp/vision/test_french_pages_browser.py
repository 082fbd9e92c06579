"""End to end, in a real headless Chromium (issue 15): the warning a visitor reads when the
models are unsure, the small-ViT chart drawn on the study page, and an advisor's evaluation
of a folder of real photos, from the upload to the drawn results (also on a phone)."""

from __future__ import annotations

import copy

import pytest

from tests.webapp.browsing import Watch, problems, settle, sign_in
from tests.webapp.vision import archives
from tests.webapp.vision.studies import make_study

pytestmark = pytest.mark.e2e


def _serious_violations(page) -> list:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [(v["id"], v["help"], [n["target"] for n in v["nodes"][:3]])
            for v in results.response["violations"] if v["impact"] in ("serious", "critical")]


@pytest.fixture
def grey_photo(tmp_path):
    """A light grey picture the two stand-in models classify differently."""
    from PIL import Image

    path = tmp_path / "grey.png"
    Image.new("RGB", (200, 160), (242, 242, 242)).save(path)
    return path


def test_the_visitor_reads_why_the_models_are_unsure(page, live_server, vision_models,
                                                     grey_photo):
    page.goto(f"{live_server}/image")
    page.get_by_label("Photo (JPEG, PNG ou WebP)").set_input_files(str(grey_photo))
    page.get_by_role("button", name="Classer la photo").click()
    warning = page.get_by_test_id("uncertain")
    warning.wait_for()
    assert warning.get_attribute("role") == "status"
    text = warning.inner_text()
    assert "⚠" in text and "Vérifiez la catégorie vous-même" in text
    assert "ne sont pas d'accord" in text
    assert _serious_violations(page) == []
    assert not page.errors, page.errors


def test_the_small_vit_chart_is_drawn_with_its_table(page, live_server, vision_models):
    saved = vision_models.report
    vision_models.report = {**copy.deepcopy(saved), "study": make_study()}
    try:
        page.goto(f"{live_server}/image/etude")
        section = page.get_by_test_id("small-vit")
        section.locator("#small-vit-accuracy .main-svg").first.wait_for()
        section.locator("#small-vit-curves .main-svg").first.wait_for()
        assert section.locator("#small-vit-accuracy").get_attribute("role") == "img"
        assert "ViT simple" in section.get_by_test_id("small-vit-variants").inner_text()
        assert _serious_violations(page) == []
        assert not page.errors, page.errors
    finally:
        vision_models.report = saved


def test_an_advisor_evaluates_a_folder_and_reads_the_results(browser, live_server, app,
                                                             vision_models, user_emails,
                                                             password, tmp_path):
    photos = archives.real_photos(per_class=2)
    if len(photos) < 14:
        pytest.skip("Flipkart photos not available")
    archive = tmp_path / "photos.zip"
    archive.write_bytes(archives.folders_archive(photos))
    saved = app.config["PAD_VISION_EVAL_RATE_LIMIT"]
    app.config["PAD_VISION_EVAL_RATE_LIMIT"] = "10000 per minute"
    found = []
    try:
        for name, viewport in (("desktop", {"width": 1280, "height": 900}),
                               ("phone", {"width": 390, "height": 844})):
            context = browser.new_context(locale="fr-FR", viewport=viewport)
            page = context.new_page()
            watch = Watch().attach(page)
            sign_in(page, live_server, user_emails["advisor"], password)
            page.goto(f"{live_server}/image")
            page.get_by_role("link", name="Évaluer un dossier de photos").click()
            page.get_by_label("Archive ZIP de photos étiquetées").set_input_files(str(archive))
            page.get_by_role("button", name="Évaluer les photos").click()
            page.get_by_test_id("evaluation-done").wait_for()
            assert "/image/evaluer/" in page.url
            settle(page)
            for model in ("vit", "efficientnet"):
                page.locator(f"#evaluation-confusion-{model} .main-svg").first.wait_for()
                assert page.get_by_test_id(f"accuracy-{model}").inner_text().endswith("%")
            sheet = page.get_by_test_id("contact-sheet")
            assert "Vraie catégorie" in sheet.inner_text()
            assert sheet.locator("img").evaluate_all(
                "images => images.every(i => i.complete && i.naturalWidth > 0)")
            found += problems(page, watch, name)
            if name == "desktop":
                found += [f"axe: {v}" for v in _serious_violations(page)]
                page.goto(f"{live_server}/image/evaluer")
                found += [f"axe (upload page): {v}" for v in _serious_violations(page)]
            context.close()
    finally:
        app.config["PAD_VISION_EVAL_RATE_LIMIT"] = saved
    assert not found, found
