"""ZIP archives of labelled photos for the evaluation tests: real Flipkart photos in category
folders (French and dataset names mixed) or listed by a CSV, and the hostile archives an
attacker makes (a zip bomb, a path leaving the folder, too many members)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from ml.config import vision_data_dir
from webapp.vision.categories import category_name
from webapp.vision.gallery import load_true_labels


def real_photos(per_class: int = 2) -> list[tuple[Path, str]]:
    """``per_class`` real catalogue photos of each category: ``(path, dataset label)``."""
    labels = load_true_labels(vision_data_dir())
    images = vision_data_dir() / "images"
    chosen: dict[str, list[Path]] = {}
    for name in sorted(labels):
        path = images / name
        if len(chosen.setdefault(labels[name], [])) < per_class and path.is_file():
            chosen[labels[name]].append(path)
    return [(path, label) for label, paths in sorted(chosen.items()) for path in paths]


def zip_bytes(members: list[tuple[str, bytes]], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    """An archive of ``(name, bytes)`` members, in memory."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return buffer.getvalue()


def folders_archive(photos: list[tuple[Path, str]]) -> bytes:
    """One folder per category, named in French for every other category (the others keep
    the dataset's name), inside a wrapping folder."""
    members = []
    for index, (path, label) in enumerate(photos):
        folder = category_name(label, "fr") if index % 4 < 2 else label
        members.append((f"mes photos/{folder}/{path.name}", path.read_bytes()))
    return zip_bytes(members)


def csv_archive(photos: list[tuple[Path, str]]) -> bytes:
    """The photos in one folder, labelled (in English names) by ``labels.csv``."""
    rows = ["image,label"] + [f"photos/{path.name},{category_name(label, 'en')}"
                              for path, label in photos]
    return zip_bytes([("labels.csv", "\n".join(rows).encode())]
                     + [(f"photos/{path.name}", path.read_bytes()) for path, _ in photos])


def zip_bomb() -> bytes:
    """One "photo" of 20 MB of zeros, compressed about a thousand times."""
    return zip_bytes([("Montres/bomb.jpg", b"\xff\xd8\xff" + bytes(20 * 1024 * 1024))])


def traversal(photo: bytes) -> bytes:
    """A member whose path leaves the archive's folder."""
    return zip_bytes([("Montres/ok.jpg", photo), ("../../etc/evil.jpg", photo)])


def too_many_members(count: int = 2001) -> bytes:
    """``count`` tiny members (stored, not compressed: the directory is what counts)."""
    return zip_bytes([(f"Montres/{k}.txt", b"x") for k in range(count)], zipfile.ZIP_STORED)
