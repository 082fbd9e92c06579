"""Evaluating a ZIP of real Flipkart photos with the real exported models, as the web job will."""

from __future__ import annotations

import io
import subprocess
import sys
import zipfile

import numpy as np
import pytest
from PIL import Image

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

from ml.serving.vision_archive import ArchiveError  # noqa: E402
from ml.serving.vision_batch import contact_sheet, evaluate_archive, json_ready  # noqa: E402
from ml.vision.data import load_catalogue  # noqa: E402


@pytest.fixture(scope="module")
def photos(vision_data_dir):
    """Two real photos per category (14), as (path, label)."""
    catalogue = load_catalogue(vision_data_dir).groupby("label").head(2)
    return list(catalogue[["path", "label"]].itertuples(index=False, name=None))


@pytest.fixture(scope="module")
def served(tiny_vision_models):
    from ml.serving.vision import load_vision_models

    out, _ = tiny_vision_models
    return load_vision_models(out, quantized=True)


def _folders_zip(photos) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path, label in photos:
            archive.write(path, f"my photos/{label}/{path.rsplit('/', 1)[-1]}")
    return buffer.getvalue()


def _csv_zip(photos) -> bytes:
    buffer = io.BytesIO()
    rows = ["image,label"]
    with zipfile.ZipFile(buffer, "w") as archive:
        for index, (path, label) in enumerate(photos):
            archive.write(path, f"shots/p{index}.jpg")
            rows.append(f'shots/p{index}.jpg,"{label}"')
        archive.writestr("labels.csv", "\n".join(rows) + "\n")
    return buffer.getvalue()


def test_a_folder_per_category_zip_is_evaluated_with_both_models(photos, served):
    calls = []
    result = evaluate_archive(_folders_zip(photos), served,
                              progress=lambda done, total: calls.append((done, total)))
    assert result["n_photos"] == 14 and result["layout"] == "folders"
    assert result["class_counts"] == {label: 2 for label in served.labels}
    assert calls[0] == (0, 14) and calls[-1] == (14, 14)
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)
    wrong_somewhere = set()
    for name in ("vit", "efficientnet"):
        entry = result["models"][name]
        matrix = np.array(entry["confusion_matrix"])
        assert matrix.shape == (7, 7) and matrix.sum() == 14
        assert entry["accuracy"] == pytest.approx(np.trace(matrix) / 14)
        assert 0.0 <= entry["macro_auc"] <= 1.0
        assert set(entry["per_class"]) == set(served.labels)
        for label, scores in entry["per_class"].items():
            k = served.labels.index(label)
            assert scores["recall"] == pytest.approx(matrix[k, k] / 2)
            assert {"precision", "recall"} <= set(scores)
        wrong_somewhere |= {item["name"] for item in result["misclassified"]
                            if name in item["wrong"]}
        assert sum(name in item["wrong"] for item in result["misclassified"]) \
            == 14 - np.trace(matrix)
    assert len(result["misclassified"]) == len(wrong_somewhere)
    for item in result["misclassified"]:
        assert set(item["predictions"]) == {"vit", "efficientnet"}
        with Image.open(io.BytesIO(item["thumbnail"])) as thumbnail:
            assert thumbnail.format == "JPEG" and thumbnail.size == (96, 96)


def test_a_csv_inside_gives_the_same_figures(photos, served):
    by_folders = evaluate_archive(_folders_zip(photos), served)
    by_csv = evaluate_archive(_csv_zip(photos), served)
    assert by_csv["layout"] == "csv"
    for name in ("vit", "efficientnet"):
        assert by_csv["models"][name]["confusion_matrix"] \
            == by_folders["models"][name]["confusion_matrix"]


def test_the_result_travels_as_json_and_as_one_contact_sheet(photos, served):
    import json

    result = evaluate_archive(_folders_zip(photos), served)
    ready = json.loads(json.dumps(json_ready(result)))
    assert all(item["thumbnail"].startswith("data:image/jpeg;base64,")
               for item in ready["misclassified"])
    sheet = contact_sheet(result)
    if result["misclassified"]:
        with Image.open(io.BytesIO(sheet)) as image:
            rows = -(-len(result["misclassified"]) // 8)
            assert image.size == (8 * 96, rows * 96)
    else:
        assert sheet is None


def test_a_hostile_archive_is_refused_before_any_model_runs(photos, served):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.write(photos[0][0], f"{photos[0][1]}/ok.jpg")
        archive.writestr("../../etc/cron.d/evil", b"* * * * * root sh")
    calls = []
    with pytest.raises(ArchiveError) as caught:
        evaluate_archive(buffer.getvalue(), served, progress=lambda *a: calls.append(a))
    assert caught.value.code == "unsafe_path" and calls == []


def test_the_service_does_not_import_keras():
    code = ("import sys, ml.serving.vision_batch, ml.serving.vision_archive; "
            "sys.exit('keras' in sys.modules or 'torch' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
