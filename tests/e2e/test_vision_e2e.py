"""End to end, in a real headless Chromium: an anonymous visitor classifies a photo on the
image page (keyboard and file input, then drag and drop), reads both predictions and both
overlays; then an accessibility scan (axe-core) of the image page and the study page."""

from __future__ import annotations

import pytest

from ml.config import vision_data_dir

pytestmark = pytest.mark.e2e


@pytest.fixture
def photo_path():
    return next((vision_data_dir() / "images").glob("*.jpg"))


def test_visitor_uploads_a_photo_and_sees_both_models(page, live_server, vision_models,
                                                      photo_path):
    page.goto(f"{live_server}/image")
    page.get_by_label("Photo (JPEG, PNG ou WebP)").set_input_files(str(photo_path))
    page.get_by_role("button", name="Classer la photo").focus()
    page.keyboard.press("Enter")
    result = page.get_by_test_id("vision-result")
    result.wait_for()
    assert page.url == f"{live_server}/image"  # swapped in by htmx, no page load
    for model in ("vit", "efficientnet"):
        assert page.get_by_test_id(f"label-{model}").inner_text() in vision_models.labels
        page.get_by_test_id(f"overlay-{model}-occlusion").wait_for()
        page.locator(f"#{model}-top5 .main-svg").first.wait_for()  # plotly drew the bars
    page.get_by_test_id("overlay-vit-rollout").wait_for()
    page.get_by_test_id("overlay-efficientnet-cam").wait_for()
    assert "d'accord" in page.get_by_test_id("agreement").inner_text()

    slider = page.locator("#vit-occlusion-opacity")
    slider.focus()
    for _ in range(4):
        page.keyboard.press("ArrowLeft")
    opacity = page.get_by_test_id("overlay-vit-occlusion").evaluate(
        "node => getComputedStyle(node).opacity")
    assert float(opacity) == pytest.approx(0.4)
    assert not page.errors, page.errors


def test_a_hostile_file_gets_a_message_in_place(page, live_server, vision_models, tmp_path):
    fake = tmp_path / "facture.jpg"
    fake.write_bytes(b"%PDF-1.4\n%%EOF\n")
    page.goto(f"{live_server}/image")
    page.get_by_label("Photo (JPEG, PNG ou WebP)").set_input_files(str(fake))
    page.get_by_role("button", name="Classer la photo").click()
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


@pytest.mark.parametrize("path", ["/image", "/image/etude"])
def test_no_serious_accessibility_violation_on_image_pages(page, live_server, vision_models,
                                                           photo_path, path):
    from axe_playwright_python.sync_playwright import Axe

    page.goto(live_server + path)
    if path == "/image":  # scan the page with a result in it
        page.get_by_label("Photo (JPEG, PNG ou WebP)").set_input_files(str(photo_path))
        page.get_by_role("button", name="Classer la photo").click()
        page.get_by_test_id("vision-result").wait_for()
    page.wait_for_load_state("networkidle")
    results = Axe().run(page)
    serious = [v for v in results.response["violations"]
               if v["impact"] in ("serious", "critical")]
    assert not serious, [(v["id"], v["help"], [n["target"] for n in v["nodes"][:3]])
                         for v in serious]
    assert not page.errors, page.errors
