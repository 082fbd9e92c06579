"""Export parity, the onnxruntime serving side and the ``evaluate`` command line.

A tiny pair of models is trained once per test session (8 photos per class, one epoch, no
mirror views) and exported into a temporary folder (``tiny_vision_models`` in
``tests/conftest.py``, shared with the end-to-end tests); the tests then use only it.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys

import pytest
from PIL import Image

import ml.vision  # noqa: E402,F401  (sets KERAS_BACKEND=torch before keras loads)

pytest.importorskip("keras")

# Keras 3.15's Variable.numpy() goes through an ``__array__`` without ``copy`` (numpy 2.4
# warns); torch's exporter warns about its own internals. Neither is ours to fix.
pytestmark = [
    pytest.mark.filterwarnings("ignore:__array__ implementation doesn't accept a copy keyword"
                               ":DeprecationWarning"),
    pytest.mark.filterwarnings("ignore::FutureWarning:torch"),
]
pytest.importorskip("onnxruntime")

from ml.serving.vision import (  # noqa: E402
    VisionModelsError,
    load_vision_models,
    preprocess_image,
)
from ml.vision.data import load_catalogue, load_split  # noqa: E402


def test_artifacts_are_complete_and_describe_themselves(tiny_vision_models):
    out, report = tiny_vision_models
    metadata = json.loads((out / "metadata.json").read_text())
    assert metadata["format_version"] == 1
    assert len(metadata["labels"]) == 7
    assert metadata["preprocessing"]["size"] == 224
    assert set(load_split(out / "split.json")) == {"train", "validation", "test"}
    for name in ("vit", "efficientnet"):
        entry = report["models"][name]
        for key in ("train_seconds", "parameters", "onnx_megabytes", "onnx_ms_per_image",
                    "history", "generalisation_gap"):
            assert key in entry
        test = entry["test"]
        assert len(test["confusion_matrix"]) == 7
        assert set(test["per_class"]) == set(metadata["labels"])
        assert 0.0 <= test["accuracy"] <= 1.0
    assert report["steps"]["vit"] and report["steps"]["efficientnet"]
    assert "saliency model" in report["provenance"]["vit"]


def test_onnx_export_matches_keras_on_real_photos(tiny_vision_models):
    _, report = tiny_vision_models
    for name in ("vit", "efficientnet"):
        parity = report["models"][name]["parity"]
        assert parity["n_images"] > 0
        assert parity["max_abs_diff_probabilities"] <= 1e-4
        assert parity["argmax_agreement"] == 1.0


def test_serving_classifies_with_saliency(tiny_vision_models, vision_data_dir):
    out, _ = tiny_vision_models
    models = load_vision_models(out)
    assert "keras" not in models.sessions  # sessions are onnxruntime only
    photo = load_catalogue(vision_data_dir)["path"].iloc[0]
    with Image.open(photo) as image:
        result = models.classify(image)
    assert set(result["models"]) == {"vit", "efficientnet"}
    for name, kind in (("vit", "rollout"), ("efficientnet", "cam")):
        entry = result["models"][name]
        assert entry["label"] in models.labels
        probabilities = [p for _, p in entry["top5"]]
        assert len(probabilities) == 5 and probabilities == sorted(probabilities, reverse=True)
        for key in ("occlusion", kind):
            saliency = entry["saliency"][key]
            assert saliency.shape == (224, 224)
            assert saliency.min() >= 0.0 and saliency.max() <= 1.0
    assert result["agree"] == (result["models"]["vit"]["label"]
                               == result["models"]["efficientnet"]["label"])


def test_serving_input_is_the_training_input(tiny_vision_models, vision_data_dir):
    """The session fed by the serving preprocessing gives Keras' training-time numbers."""
    out, _ = tiny_vision_models
    models = load_vision_models(out)
    photo = load_catalogue(vision_data_dir)["path"].iloc[1]
    with Image.open(photo) as image:
        pixels = preprocess_image(image)
        served = models.classify(image, saliency=False)
    probabilities = models.sessions["efficientnet"].run(["probabilities"],
                                                        {"image": pixels[None]})[0][0]
    assert served["models"]["efficientnet"]["top5"][0][1] == pytest.approx(
        float(probabilities.max()), abs=1e-6)


def test_occlusion_from_the_photo_posted_back_is_the_uploads(tiny_vision_models,
                                                             vision_data_dir):
    """The image page computes occlusion maps in a second request, from the 224 px PNG it
    shows (uploads are not stored): real sessions give the map of the original upload.
    The EfficientNet alone: the ViT goes through the same code, five times slower."""
    import dataclasses
    import io

    import numpy as np

    out, _ = tiny_vision_models
    loaded = load_vision_models(out, quantized=True)
    models = dataclasses.replace(loaded, sessions={"efficientnet":
                                                   loaded.sessions["efficientnet"]})
    photo = load_catalogue(vision_data_dir)["path"].iloc[2]
    with Image.open(photo) as image:
        upload = image.convert("RGB")
    first = models.classify(upload, saliency=True)["models"]["efficientnet"]
    png = io.BytesIO()
    models.model_input(upload).save(png, "PNG")
    with Image.open(io.BytesIO(png.getvalue())) as image:
        posted_back = image.convert("RGB")
    assert posted_back.size == (224, 224) != upload.size
    np.testing.assert_array_equal(preprocess_image(posted_back), preprocess_image(upload))
    occlusion = models.occlusion(posted_back, "efficientnet", first["label"])
    np.testing.assert_array_equal(occlusion, first["saliency"]["occlusion"])
    assert occlusion.max() > 0.5  # a map with something in it


def test_missing_models_raise_a_clear_error(tmp_path):
    with pytest.raises(VisionModelsError, match="prepare"):
        load_vision_models(tmp_path)
    (tmp_path / "metadata.json").write_text(json.dumps({"format_version": 99}))
    with pytest.raises(VisionModelsError, match="format"):
        load_vision_models(tmp_path)


def _evaluate(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ml.vision", "evaluate", *args],
                          capture_output=True, text=True, timeout=300, check=False)


def _labels_csv(path, rows) -> None:
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["image", "label"])
        writer.writerows(rows)


def test_evaluate_prints_one_json_object(tiny_vision_models, vision_data_dir, tmp_path):
    out, _ = tiny_vision_models
    catalogue = load_catalogue(vision_data_dir).groupby("label").head(2)
    _labels_csv(tmp_path / "labels.csv", catalogue[["image", "label"]].values.tolist())
    done = _evaluate("--images", str(vision_data_dir / "images"), "--labels",
                     str(tmp_path / "labels.csv"), "--model", str(out))
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["n_images"] == 14
    assert set(result["models"]) == {"vit", "efficientnet"}
    for entry in result["models"].values():
        assert set(entry) == {"accuracy", "macro_auc", "ms_per_image"}
        assert 0.0 <= entry["accuracy"] <= 1.0 and 0.0 <= entry["macro_auc"] <= 1.0
        assert entry["ms_per_image"] > 0


def test_evaluate_rejects_unknown_labels_and_unreadable_photos(tiny_vision_models,
                                                               vision_data_dir, tmp_path):
    out, _ = tiny_vision_models
    images = vision_data_dir / "images"
    name = load_catalogue(vision_data_dir)["image"].iloc[0]
    _labels_csv(tmp_path / "unknown.csv", [[name, "Garden Tools"]])
    done = _evaluate("--images", str(images), "--labels", str(tmp_path / "unknown.csv"),
                     "--model", str(out))
    assert done.returncode != 0 and done.stdout == ""
    assert "unknown label" in done.stderr
    (tmp_path / "broken.jpg").write_bytes(b"not a photo")
    _labels_csv(tmp_path / "broken.csv", [["broken.jpg", "Watches"]])
    done = _evaluate("--images", str(tmp_path), "--labels", str(tmp_path / "broken.csv"),
                     "--model", str(out))
    assert done.returncode != 0 and done.stdout == ""
    assert "cannot read photo" in done.stderr


def test_prepare_keeps_complete_artifacts(tiny_vision_models, capsys):
    from ml.vision.__main__ import is_complete, main

    out, _ = tiny_vision_models
    assert is_complete(out)
    before = (out / "metadata.json").read_text()
    assert main(["prepare", "--out", str(out)]) == 0  # returns at once, nothing retrained
    assert (out / "metadata.json").read_text() == before
    assert "already" in capsys.readouterr().err


def test_evaluate_without_models_fails_cleanly(vision_data_dir, tmp_path):
    _labels_csv(tmp_path / "labels.csv", [["x.jpg", "Watches"]])
    done = _evaluate("--images", str(vision_data_dir / "images"), "--labels",
                     str(tmp_path / "labels.csv"), "--model", str(tmp_path / "none"))
    assert done.returncode != 0 and done.stdout == ""
    assert "no vision models" in done.stderr


def test_web_endpoint_serves_the_real_exported_models(tiny_vision_models, vision_data_dir,
                                                      tmp_path):
    """Through the web app, a real exported model answers as the serving code says it would."""
    import io

    from webapp import create_app

    out, _ = tiny_vision_models
    root = tmp_path / "artifacts"
    root.mkdir()
    (root / "vision").symlink_to(out, target_is_directory=True)
    app = create_app({"TESTING": True, "PAD_ARTIFACTS_DIR": str(root),
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'portal.sqlite3'}",
                      "RATELIMIT_STORAGE_URI": "memory://"})
    assert app.extensions["pad_models"].vision is not None, app.extensions["pad_models"]
    photo = sorted((vision_data_dir / "images").glob("*.jpg"))[0]
    with app.test_client() as client:
        response = client.post("/api/v1/vision/classify",
                               data={"photo": (io.BytesIO(photo.read_bytes()), "photo.jpg")},
                               content_type="multipart/form-data")
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    with Image.open(photo) as image:
        expected = load_vision_models(out, quantized=True).classify(image.convert("RGB"),
                                                                    saliency=False)
    for name in ("vit", "efficientnet"):
        assert body["models"][name]["label"] == expected["models"][name]["label"]
        served = dict(body["models"][name]["top5"])
        for label, probability in expected["models"][name]["top5"]:
            assert served[label] == pytest.approx(probability, abs=1e-4)
    assert body["agree"] == expected["agree"]
