"""What one worker spends on the public photo endpoints stays bounded: the per-address limit
counts right under concurrent requests, a ceiling holds for all addresses together, and at
most ``PAD_VISION_CONCURRENCY`` photos are decoded at once (the others wait, then get a 503
with a message)."""

from __future__ import annotations

import io
import threading

import pytest


@pytest.fixture
def limits(app, vision_models):
    """Set some vision settings for one test, then put them back."""
    saved = dict(app.config)

    def set_limits(**values: object) -> None:
        app.config.update(values)

    yield set_limits
    for key in ("PAD_VISION_RATE_LIMIT", "PAD_VISION_GLOBAL_RATE_LIMIT",
                "PAD_VISION_CONCURRENCY"):
        app.config[key] = saved[key]


def test_the_address_limit_counts_right_under_concurrent_requests(app, limits):
    limits(PAD_VISION_RATE_LIMIT="11 per minute")
    codes: list[int] = []
    start = threading.Barrier(8)

    def hammer() -> None:
        browser = app.test_client()
        start.wait(10)
        for _ in range(5):
            response = browser.post("/api/v1/vision/classify", data={},
                                    environ_base={"REMOTE_ADDR": "10.70.0.1"})
            codes.append(response.status_code)

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(codes) == 40
    assert sum(code != 429 for code in codes) == 11  # exactly the limit, not one more


def test_a_ceiling_holds_for_every_address_together(app, limits):
    limits(PAD_VISION_GLOBAL_RATE_LIMIT="7 per minute")
    codes = [app.test_client().post("/api/v1/vision/classify", data={},
                                    environ_base={"REMOTE_ADDR": f"10.71.0.{n}"}).status_code
             for n in range(1, 11)]
    assert codes == [400] * 7 + [429] * 3


def test_a_photo_waits_for_a_free_slot_then_gets_a_503(app, limits, monkeypatch, photo_bytes):
    from webapp.vision import routes

    limits(PAD_VISION_CONCURRENCY=1)
    monkeypatch.setattr(routes, "SLOT_WAIT_SECONDS", 0.2)
    slot = routes._slots.setdefault(1, threading.BoundedSemaphore(1))
    assert slot.acquire(timeout=5)  # another upload is being decoded
    try:
        response = app.test_client().post(
            "/api/v1/vision/classify", content_type="multipart/form-data",
            data={"photo": (io.BytesIO(photo_bytes()), "p.jpg")},
            environ_base={"REMOTE_ADDR": "10.72.0.1"})
    finally:
        slot.release()
    assert response.status_code == 503 and "busy" in response.get_json()["error"]
    again = app.test_client().post(
        "/api/v1/vision/classify", content_type="multipart/form-data",
        data={"photo": (io.BytesIO(photo_bytes()), "p.jpg")},
        environ_base={"REMOTE_ADDR": "10.72.0.2"})
    assert again.status_code == 200
