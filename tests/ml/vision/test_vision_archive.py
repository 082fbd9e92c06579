"""Opening an uploaded ZIP of labelled photos: the layouts users make, the archives attackers make.

Every hostile archive is built here, in memory, and must be refused with its machine-readable
code before any photo is decoded (or, for a non-photo named ``.jpg``, when it is read).
"""

from __future__ import annotations

import io
import stat
import zipfile

import pytest

from ml.serving.vision_archive import (
    DEFAULT_LIMITS,
    ArchiveError,
    ArchiveLimits,
    iter_photos,
    list_photos,
    open_archive,
)

LABELS = ["Baby Care", "Beauty and Personal Care", "Computers", "Home Decor & Festive Needs",
          "Home Furnishing", "Kitchen & Dining", "Watches"]


def _jpeg(colour=(200, 30, 30)) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), colour).save(buffer, "JPEG")
    return buffer.getvalue()


def _zip(members: dict[str, bytes] | list[tuple[zipfile.ZipInfo | str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    items = members.items() if isinstance(members, dict) else members
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in items:
            archive.writestr(name, data)
    return buffer.getvalue()


def _refusal(data: bytes, limits: ArchiveLimits = DEFAULT_LIMITS, decode: bool = False
             ) -> ArchiveError:
    with pytest.raises(ArchiveError) as caught, open_archive(data, limits) as archive:
        contents = list_photos(archive, LABELS, limits=limits)
        if decode:
            list(iter_photos(archive, contents, limits))
    return caught.value


def test_one_folder_per_category_even_inside_a_wrapping_folder():
    data = _zip({"new photos/Watches/w1.jpg": _jpeg(), "new photos/watches/w2.JPG": _jpeg(),
                 "new photos/Kitchen  & dining/k1.jpg": _jpeg(),
                 "__MACOSX/new photos/Watches/._w1.jpg": b"\x00\x05junk",
                 "new photos/.DS_Store": b"junk"})
    with open_archive(data) as archive:
        contents = list_photos(archive, LABELS)
        photos = list(iter_photos(archive, contents))
    assert contents.layout == "folders"
    assert sorted(e.label for e in contents.entries) == ["Kitchen & Dining", "Watches", "Watches"]
    assert len(contents.ignored) == 2  # macOS clutter, skipped rather than refused
    assert all(image.mode == "RGB" for _, image in photos)


def test_a_csv_lists_photos_and_labels_and_french_aliases_work():
    csv_text = "image,label\nimgs/a.jpg,Montres\nimgs/b.jpg,Watches\n"
    data = _zip({"set/labels.csv": csv_text.encode(), "set/imgs/a.jpg": _jpeg(),
                 "set/imgs/b.jpg": _jpeg(), "set/imgs/unlisted.jpg": _jpeg()})
    with open_archive(data) as archive:
        contents = list_photos(archive, LABELS, aliases={"Montres": "Watches"})
    assert contents.layout == "csv"
    assert [(e.name, e.label) for e in contents.entries] == [
        ("set/imgs/a.jpg", "Watches"), ("set/imgs/b.jpg", "Watches")]
    assert contents.ignored == ["set/imgs/unlisted.jpg"]


def test_a_zip_bomb_is_refused_from_its_directory():
    error = _refusal(_zip({"Watches/bomb.jpg": b"\xff\xd8\xff" + b"\x00" * 10_000_000}))
    assert error.code == "compression_ratio"
    assert error.params["name"] == "Watches/bomb.jpg" and error.params["ratio"] > 50


def test_too_large_in_total_is_refused():
    limits = ArchiveLimits(max_total_bytes=1000)
    error = _refusal(_zip({f"Watches/{k}.jpg": _jpeg() for k in range(5)}), limits)
    assert error.code == "too_large" and error.params["limit"] == 1000


@pytest.mark.parametrize("name", ["../evil.jpg", "Watches/../../evil.jpg", "/etc/evil.jpg",
                                  "C:/evil.jpg", "Watches\\..\\evil.jpg"])
def test_paths_leaving_the_archive_are_refused(name):
    error = _refusal(_zip([(zipfile.ZipInfo(name), _jpeg())]))
    assert error.code == "unsafe_path" and error.params["name"] == name


def test_a_csv_pointing_outside_is_refused():
    data = _zip({"labels.csv": b"image,label\n../secret.jpg,Watches\n", "a.jpg": _jpeg()})
    assert _refusal(data).code == "unsafe_path"


@pytest.mark.parametrize(("mode", "code"), [(stat.S_IFLNK | 0o777, "symlink"),
                                            (stat.S_IFIFO | 0o644, "special_file"),
                                            (stat.S_IFCHR | 0o644, "special_file")])
def test_symlinks_and_special_files_are_refused(mode, code):
    info = zipfile.ZipInfo("Watches/link.jpg")
    info.create_system = 3
    info.external_attr = mode << 16
    error = _refusal(_zip([(info, b"/etc/passwd")]))
    assert error.code == code and error.params["name"] == "Watches/link.jpg"


def test_too_many_files_are_refused_before_reading_any():
    limit = ArchiveLimits().max_members
    data = _zip({f"Watches/{k}.jpg": b"" for k in range(limit + 1)})
    error = _refusal(data)
    assert error.code == "too_many_files"
    assert error.params == {"count": limit + 1, "limit": limit}


def test_a_non_photo_named_jpg_is_refused_by_its_content():
    data = _zip({"Watches/w1.jpg": _jpeg(), "Watches/notes.jpg": b"just some text, not a photo"})
    error = _refusal(data, decode=True)
    assert error.code == "not_a_photo" and error.params["name"] == "Watches/notes.jpg"


def test_an_unknown_label_is_refused_with_the_known_ones():
    error = _refusal(_zip({"Garden Tools/rake.jpg": _jpeg()}))
    assert error.code == "unknown_label" and error.params["label"] == "Garden Tools"
    assert error.params["known"] == sorted(LABELS)


def test_a_photo_outside_any_category_folder_is_refused():
    assert _refusal(_zip({"loose.jpg": _jpeg()})).code == "no_category"


def test_what_is_not_a_zip_and_an_empty_zip_are_refused():
    assert _refusal(b"PK\x03\x04 but not really a zip").code == "not_a_zip"
    assert _refusal(_zip({})).code == "no_photos"


def test_a_csv_missing_a_photo_or_its_columns_is_refused():
    missing = _zip({"labels.csv": b"image,label\nnowhere.jpg,Watches\n"})
    assert _refusal(missing).code == "csv_missing_photo"
    columns = _zip({"labels.csv": b"file,category\na.jpg,Watches\n", "a.jpg": _jpeg()})
    assert _refusal(columns).code == "csv_invalid"


def test_a_photo_with_too_many_pixels_is_refused_before_decoding():
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (400, 300), "white").save(buffer, "PNG")
    error = _refusal(_zip({"Watches/big.png": buffer.getvalue()}),
                     ArchiveLimits(max_pixels=100_000), decode=True)
    assert error.code == "photo_too_large"
