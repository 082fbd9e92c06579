"""End to end, in a real headless Chromium: an anonymous visitor classifies a photo on the
image page (keyboard and file input, then drag and drop), reads both predictions at once and
both occlusion overlays as they arrive (or a message in place when their request fails); the
same over the real exported models; then an accessibility scan (axe-core) of the image page
(while the overlays load, and with everything in) and of the study page."""

from __future__ import annotations

import time

import pytest

from ml.config import vision_data_dir
from webapp.vision.categories import category_name

pytestmark = pytest.mark.e2e

MODELS = ("vit", "efficientnet")
OVERLAY_URL = "**/image/occlusion"


@pytest.fixture
def photo_path():
    return next((vision_data_dir() / "images").glob("*.jpg"))


def _send(page, live_server, photo_path) -> None:
    page.goto(f"{live_server}/image")
    page.get_by_label("Photo (JPEG, PNG ou WebP)").set_input_files(str(photo_path))
    page.get_by_role("button", name="Classer la photo").click()


def _serious_violations(page) -> list:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [(v["id"], v["help"], [n["target"] for n in v["nodes"][:3]])
            for v in results.response["violations"] if v["impact"] in ("serious", "critical")]


def _wait_until(condition, page, seconds: float = 15.0) -> None:
    """Let the page run (and its route handlers fire) until ``condition()`` holds."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        page.wait_for_timeout(50)


def test_visitor_uploads_a_photo_and_sees_both_models(page, live_server, vision_models,
                                                      photo_path):
    page.goto(f"{live_server}/image")
    page.get_by_label("Photo (JPEG, PNG ou WebP)").set_input_files(str(photo_path))
    page.get_by_role("button", name="Classer la photo").focus()
    page.keyboard.press("Enter")
    result = page.get_by_test_id("vision-result")
    result.wait_for()
    assert page.url == f"{live_server}/image"  # swapped in by htmx, no page load
    for model in MODELS:
        assert page.get_by_test_id(f"label-{model}").inner_text() in \
            [category_name(label, "fr") for label in vision_models.labels]
        page.get_by_test_id(f"overlay-{model}-occlusion").wait_for()
        page.locator(f"#{model}-top5 .main-svg").first.wait_for()  # plotly drew the bars
    page.get_by_test_id("overlay-vit-rollout").wait_for()
    page.get_by_test_id("overlay-efficientnet-cam").wait_for()
    assert "d'accord" in page.get_by_test_id("agreement").inner_text()

    slider = page.locator("#vit-occlusion-opacity")  # an overlay loaded after the result
    slider.focus()
    for _ in range(4):
        page.keyboard.press("ArrowLeft")
    opacity = page.get_by_test_id("overlay-vit-occlusion").evaluate(
        "node => getComputedStyle(node).opacity")
    assert float(opacity) == pytest.approx(0.4)
    assert not page.errors, page.errors


def test_predictions_show_before_the_occlusion_overlays_which_then_arrive(
        page, live_server, vision_models, photo_path):
    held = []  # the overlay requests, kept waiting while the test looks at the page
    page.route(OVERLAY_URL, lambda route: held.append(route))
    _send(page, live_server, photo_path)
    page.get_by_test_id("vision-result").wait_for()
    _wait_until(lambda: len(held) == 2, page)
    assert sorted(r.request.post_data_json["model"] for r in held) == sorted(MODELS)
    for model in MODELS:
        assert page.get_by_test_id(f"label-{model}").is_visible()
        status = page.get_by_test_id(f"pending-{model}-occlusion").get_by_role("status")
        assert "Carte d'occlusion" in status.inner_text()
        assert "en cours de calcul" in status.inner_text()
        assert page.get_by_test_id(f"overlay-{model}-occlusion").count() == 0
    page.get_by_test_id("overlay-vit-rollout").wait_for()  # these come with the prediction
    page.get_by_test_id("overlay-efficientnet-cam").wait_for()
    serious = _serious_violations(page)  # the page while the overlays load
    assert not serious, serious

    for route in held:
        route.continue_()
    for model in MODELS:
        page.get_by_test_id(f"overlay-{model}-occlusion").wait_for()
        caption = page.locator(f"#{model}-occlusion-caption").inner_text()
        assert caption.startswith("Occlusion") and "a le plus pesé" in caption
        assert page.get_by_test_id(f"pending-{model}-occlusion").count() == 0
    assert not page.errors, page.errors


def _fail_server(route) -> None:
    route.fulfill(status=500, content_type="text/html", body="<h1>Internal Server Error</h1>")


def _tamper_label(route) -> None:
    route.continue_(post_data=route.request.post_data.replace("label=", "label=Garden%20"))


@pytest.mark.parametrize("failure, handler, message", [
    ("server error", _fail_server, "n'a pas pu être calculée"),
    ("network", lambda route: route.abort(), "n'a pas pu être calculée"),
    ("refused by the server", _tamper_label, "Catégorie inconnue"),
])
def test_a_failing_overlay_request_shows_its_message_in_place(page, live_server, vision_models,
                                                              photo_path, failure, handler,
                                                              message):
    page.route(OVERLAY_URL, handler)
    _send(page, live_server, photo_path)
    for model in MODELS:
        column = page.get_by_test_id(f"model-{model}")
        alert = column.get_by_role("alert")
        alert.wait_for()
        assert message in alert.inner_text(), failure
        assert column.get_by_role("status").count() == 0  # no longer "loading"
        assert page.get_by_test_id(f"label-{model}").is_visible()  # the prediction stays
    page.unroute(OVERLAY_URL)
    page.get_by_role("button", name="Classer la photo").click()  # the page still works
    for model in MODELS:
        page.get_by_test_id(f"overlay-{model}-occlusion").wait_for()
    # htmx logs the failures the test provoked; nothing else may be on the console.
    provoked = ("htmx:sendError", "htmx:afterRequest", "Response Status Error Code 500")
    assert not [e for e in page.errors if not e.startswith(provoked)], page.errors


def test_a_hostile_file_gets_a_message_in_place(page, live_server, vision_models, tmp_path):
    fake = tmp_path / "facture.jpg"
    fake.write_bytes(b"%PDF-1.4\n%%EOF\n")
    _send(page, live_server, fake)
    assert "PDF" in page.get_by_test_id("vision-error").inner_text()
    assert not page.errors, page.errors


def test_drop_a_photo_on_the_drop_zone(page, live_server, vision_models, photo_path):
    page.goto(f"{live_server}/image")
    data = list(photo_path.read_bytes())
    page.evaluate("""(bytes) => {
        const file = new File([new Uint8Array(bytes)], "drop.jpg", {type: "image/jpeg"});
        const transfer = new DataTransfer();
        transfer.items.add(file);
        const zone = document.querySelector("[data-dropzone]");
        zone.dispatchEvent(new DragEvent("drop", {dataTransfer: transfer, bubbles: true,
                                                   cancelable: true}));
    }""", data)
    page.get_by_test_id("label-vit").wait_for()
    assert not page.errors, page.errors


@pytest.fixture
def real_tiny_models(app, vision_models, tiny_vision_models):
    """The real tiny exported models, installed into the app as it loads them (int8 where
    training kept it) for one test; the stub models come back after."""
    from ml.serving.vision import load_vision_models

    out, _ = tiny_vision_models
    loaded = app.extensions["pad_models"]
    loaded.vision = load_vision_models(out, quantized=True)
    yield out
    loaded.vision = vision_models


@pytest.mark.slow
def test_real_exported_models_in_a_real_browser(page, live_server, real_tiny_models):
    from PIL import Image

    from ml.serving.vision import load_vision_models

    photo = sorted((vision_data_dir() / "images").glob("*.jpg"))[0]
    with Image.open(photo) as image:
        expected = load_vision_models(real_tiny_models, quantized=True).classify(
            image.convert("RGB"), saliency=False)["models"]
    _send(page, live_server, photo)
    page.get_by_test_id("vision-result").wait_for(timeout=60000)
    for model in MODELS:
        assert page.get_by_test_id(f"label-{model}").inner_text() == \
            category_name(expected[model]["label"], "fr")
        shown = page.get_by_test_id(f"model-{model}").locator("ol.top5 li").all_inner_texts()
        assert [line.split(" : ")[0] for line in shown] == \
            [category_name(label, "fr") for label, _ in expected[model]["top5"]]
    page.get_by_test_id("overlay-vit-rollout").wait_for()
    page.get_by_test_id("overlay-efficientnet-cam").wait_for()
    for model in MODELS:  # the real ViT's 26 forward passes take seconds on a busy machine
        page.get_by_test_id(f"overlay-{model}-occlusion").wait_for(timeout=120000)
        assert page.locator(f"#{model}-occlusion-caption").inner_text().startswith("Occlusion")
    assert not page.errors, page.errors


@pytest.mark.parametrize("path", ["/image", "/image/etude"])
def test_no_serious_accessibility_violation_on_image_pages(page, live_server, vision_models,
                                                           photo_path, path):
    page.goto(live_server + path)
    if path == "/image":  # scan the page with a result in it, every overlay arrived
        _send(page, live_server, photo_path)
        for model in MODELS:
            page.get_by_test_id(f"overlay-{model}-occlusion").wait_for()
    page.wait_for_load_state("networkidle")
    serious = _serious_violations(page)
    assert not serious, serious
    assert not page.errors, page.errors
