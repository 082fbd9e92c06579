"""Open an uploaded ZIP of labelled photos safely (no Flask, no Keras).

A data scientist checks the models on a folder of new photos by zipping it. Two layouts:

- **one folder per category**: ``Watches/w1.jpg``, ``Baby Care/b7.png``... (the folder
  right above each photo names its category; one wrapping folder is fine);
- **a CSV** ``image,label`` anywhere in the archive, listing photos by their path relative
  to the CSV's folder (photos it does not list are ignored and counted).

Labels are the dataset's category names (case and spacing do not matter) or any alias the
caller passes (the web layer passes the French names).

Everything is checked from the archive's directory before one byte is inflated: member
count, declared total and per-member sizes, compression ratio (zip bombs), absolute paths,
``..``, backslashes, symlinks and special files, encryption, duplicates. Inflating then
reads at most the declared size (a lying header is caught). Photos are recognised by their
content (magic bytes), not their extension; their pixel count is checked from the header
before decoding. Operating-system clutter (``__MACOSX/``, ``.DS_Store``, ``Thumbs.db``,
dot files) is skipped. Every refusal is an :class:`ArchiveError` with a machine-readable
``code`` and parameters, which the web layer words in French and English.
"""

from __future__ import annotations

import csv
import io
import stat
import unicodedata
import warnings
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import BinaryIO

from PIL import Image, ImageOps

ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP")
CLUTTER_NAMES = {".ds_store", "thumbs.db", "desktop.ini"}
CLUTTER_FOLDERS = {"__macosx"}


@dataclass(frozen=True)
class ArchiveLimits:
    """What an archive may hold (the web layer may pass its own)."""

    max_archive_bytes: int = 200 * 1024 * 1024
    max_members: int = 2000
    max_photos: int = 1000
    max_total_bytes: int = 500 * 1024 * 1024
    max_member_bytes: int = 25 * 1024 * 1024
    #: Uncompressed / compressed size of one member; JPEGs barely compress (about 1.0-1.2).
    max_ratio: float = 50.0
    max_pixels: int = 40_000_000
    min_side: int = 16


DEFAULT_LIMITS = ArchiveLimits()


class ArchiveError(ValueError):
    """An archive refused: ``code`` says why, ``params`` give the details for the message.

    Codes: ``not_a_zip``, ``archive_too_large``, ``too_many_files``, ``too_many_photos``,
    ``too_large`` (total uncompressed), ``member_too_large``, ``compression_ratio``,
    ``size_mismatch``, ``unsafe_path``, ``symlink``, ``special_file``, ``encrypted``,
    ``duplicate_name``, ``not_a_photo``, ``photo_too_large`` (pixels), ``photo_too_small``,
    ``corrupt_photo``, ``no_category`` (a photo outside any category folder), ``unknown_label``,
    ``csv_invalid``, ``csv_missing_photo``, ``several_csv``, ``no_photos``.
    """

    def __init__(self, code: str, **params) -> None:
        detail = ", ".join(f"{key}={value!r}" for key, value in params.items())
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.params = params


@dataclass
class ArchiveEntry:
    """One labelled photo of the archive, not yet inflated."""

    name: str
    label: str
    info: zipfile.ZipInfo = field(repr=False)


@dataclass
class ArchiveContents:
    """What an archive holds, checked: the labelled photos and what was left aside."""

    layout: str
    entries: list[ArchiveEntry]
    ignored: list[str]


def normalise(text: str) -> str:
    """A label as compared: Unicode NFC, case-folded, inner spaces collapsed."""
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


def label_index(labels: list[str], aliases: Mapping[str, str] | None = None
                ) -> dict[str, str]:
    """Normalised name (or alias) → the dataset's category name."""
    index = {normalise(label): label for label in labels}
    for alias, label in (aliases or {}).items():
        if label in labels:
            index.setdefault(normalise(alias), label)
    return index


def _is_clutter(path: PurePosixPath) -> bool:
    parts = [part.casefold() for part in path.parts]
    return (any(part in CLUTTER_FOLDERS for part in parts[:-1])
            or parts[-1] in CLUTTER_NAMES or parts[-1].startswith("."))


def _check_name(info: zipfile.ZipInfo) -> PurePosixPath:
    name = info.filename
    if "\\" in name or "\x00" in name or name.startswith("/") or (len(name) > 1
                                                                  and name[1] == ":"):
        raise ArchiveError("unsafe_path", name=name)
    path = PurePosixPath(name)
    if any(part == ".." for part in path.parts):
        raise ArchiveError("unsafe_path", name=name)
    return path


def _check_type(info: zipfile.ZipInfo) -> None:
    kind = stat.S_IFMT(info.external_attr >> 16)
    # Unix archivers store the file type with the permissions; 0 means permissions only.
    if info.create_system == 3 and kind:
        if kind == stat.S_IFLNK:
            raise ArchiveError("symlink", name=info.filename)
        if kind not in (stat.S_IFREG, stat.S_IFDIR):
            raise ArchiveError("special_file", name=info.filename)
    if info.flag_bits & 0x1:
        raise ArchiveError("encrypted", name=info.filename)


def _check_sizes(files: list[zipfile.ZipInfo], limits: ArchiveLimits) -> None:
    total = 0
    for info in files:
        if info.file_size > limits.max_member_bytes:
            raise ArchiveError("member_too_large", name=info.filename, size=info.file_size,
                               limit=limits.max_member_bytes)
        if info.file_size > limits.max_ratio * max(info.compress_size, 1):
            raise ArchiveError("compression_ratio", name=info.filename,
                               ratio=round(info.file_size / max(info.compress_size, 1), 1),
                               limit=limits.max_ratio)
        total += info.file_size
    if total > limits.max_total_bytes:
        raise ArchiveError("too_large", size=total, limit=limits.max_total_bytes)


def open_archive(source: bytes | BinaryIO, limits: ArchiveLimits = DEFAULT_LIMITS
                 ) -> zipfile.ZipFile:
    """A ``ZipFile`` over ``source`` (bytes or a seekable binary file), its size checked."""
    stream = io.BytesIO(source) if isinstance(source, bytes | bytearray) else source
    stream.seek(0, io.SEEK_END)
    size = stream.tell()
    stream.seek(0)
    if size > limits.max_archive_bytes:
        raise ArchiveError("archive_too_large", size=size, limit=limits.max_archive_bytes)
    try:
        return zipfile.ZipFile(stream)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as error:
        raise ArchiveError("not_a_zip", detail=str(error)) from error


def read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    """A member's bytes, reading no more than its declared size (plus one, to catch a lie)."""
    try:
        with archive.open(info) as handle:
            data = handle.read(info.file_size + 1)
    except (zipfile.BadZipFile, OSError, ValueError, RuntimeError,
            NotImplementedError) as error:
        raise ArchiveError("corrupt_photo", name=info.filename, detail=str(error)) from error
    if len(data) != info.file_size:
        raise ArchiveError("size_mismatch", name=info.filename, declared=info.file_size)
    return data


def list_photos(archive: zipfile.ZipFile, labels: list[str],
                aliases: Mapping[str, str] | None = None,
                limits: ArchiveLimits = DEFAULT_LIMITS) -> ArchiveContents:
    """Check the archive's directory and find each photo's label, inflating only a CSV."""
    members = archive.infolist()
    if len(members) > limits.max_members:
        raise ArchiveError("too_many_files", count=len(members), limit=limits.max_members)
    seen: set[str] = set()
    files: list[tuple[PurePosixPath, zipfile.ZipInfo]] = []
    ignored = []
    for info in members:
        path = _check_name(info)
        _check_type(info)
        key = normalise(info.filename.rstrip("/"))
        if key in seen:
            raise ArchiveError("duplicate_name", name=info.filename)
        seen.add(key)
        if info.is_dir():
            continue
        if _is_clutter(path):
            ignored.append(info.filename)
            continue
        files.append((path, info))
    _check_sizes([info for _, info in files], limits)
    known = label_index(labels, aliases)
    tables = [(path, info) for path, info in files if path.suffix.casefold() == ".csv"]
    if len(tables) > 1:
        raise ArchiveError("several_csv", names=[info.filename for _, info in tables])
    if tables:
        entries, unlisted = _from_csv(archive, tables[0], files, known)
        ignored.extend(unlisted)
        layout = "csv"
    else:
        entries = [_from_folder(path, info, known) for path, info in files]
        layout = "folders"
    if not entries:
        raise ArchiveError("no_photos")
    if len(entries) > limits.max_photos:
        raise ArchiveError("too_many_photos", count=len(entries), limit=limits.max_photos)
    return ArchiveContents(layout=layout, entries=entries, ignored=ignored)


def _label(text: str, known: dict[str, str], name: str) -> str:
    label = known.get(normalise(text))
    if label is None:
        raise ArchiveError("unknown_label", label=text, name=name,
                           known=sorted(set(known.values())))
    return label


def _from_folder(path: PurePosixPath, info: zipfile.ZipInfo, known: dict[str, str]
                 ) -> ArchiveEntry:
    if len(path.parts) < 2:
        raise ArchiveError("no_category", name=info.filename)
    return ArchiveEntry(info.filename, _label(path.parts[-2], known, info.filename), info)


def _from_csv(archive: zipfile.ZipFile, table: tuple[PurePosixPath, zipfile.ZipInfo],
              files: list[tuple[PurePosixPath, zipfile.ZipInfo]], known: dict[str, str]
              ) -> tuple[list[ArchiveEntry], list[str]]:
    csv_path, csv_info = table
    try:
        text = read_member(archive, csv_info).decode("utf-8-sig")
        rows = list(csv.DictReader(io.StringIO(text)))
    except (UnicodeDecodeError, csv.Error) as error:
        raise ArchiveError("csv_invalid", name=csv_info.filename, detail=str(error)) from error
    if not rows or not {"image", "label"} <= {(c or "").strip() for c in rows[0]}:
        raise ArchiveError("csv_invalid", name=csv_info.filename,
                           detail="needs the columns image,label and one row at least")
    base = csv_path.parent
    by_path = {normalise(str(path)): info for path, info in files if info is not csv_info}
    entries, listed = [], set()
    for line, row in enumerate(rows, start=2):
        row = {(k or "").strip(): (v or "").strip() for k, v in row.items()}
        relative = PurePosixPath(row["image"])
        if relative.is_absolute() or ".." in relative.parts:
            raise ArchiveError("unsafe_path", name=row["image"], line=line)
        key = normalise(str(base / relative))
        info = by_path.get(key)
        if info is None:
            raise ArchiveError("csv_missing_photo", image=row["image"], line=line)
        if key in listed:
            raise ArchiveError("duplicate_name", name=row["image"], line=line)
        listed.add(key)
        entries.append(ArchiveEntry(info.filename, _label(row["label"], known, row["image"]),
                                    info))
    unlisted = [info.filename for key, info in by_path.items() if key not in listed]
    return entries, unlisted


def sniff_format(data: bytes) -> str | None:
    """``JPEG``, ``PNG`` or ``WEBP`` from the first bytes, or ``None``."""
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return None


def decode_photo(data: bytes, name: str, limits: ArchiveLimits = DEFAULT_LIMITS
                 ) -> Image.Image:
    """An upright 8-bit RGB photo from a member's bytes (transparency over white)."""
    kind = sniff_format(data)
    if kind is None:
        raise ArchiveError("not_a_photo", name=name)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=[kind])
            width, height = image.size  # from the header, nothing decoded yet
            if width * height > limits.max_pixels:
                raise ArchiveError("photo_too_large", name=name, width=width, height=height)
            if min(width, height) < limits.min_side:
                raise ArchiveError("photo_too_small", name=name, width=width, height=height)
            image.load()
            upright = ImageOps.exif_transpose(image) or image
    except ArchiveError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise ArchiveError("photo_too_large", name=name, detail=str(error)) from error
    except (OSError, SyntaxError, ValueError, EOFError) as error:
        raise ArchiveError("corrupt_photo", name=name, detail=str(error)) from error
    if upright.mode in ("RGBA", "LA", "PA") or "transparency" in upright.info:
        rgba = upright.convert("RGBA")
        canvas = Image.new("RGB", rgba.size, (255, 255, 255))
        canvas.paste(rgba, mask=rgba.getchannel("A"))
        return canvas
    return upright.convert("RGB")


def iter_photos(archive: zipfile.ZipFile, contents: ArchiveContents,
                limits: ArchiveLimits = DEFAULT_LIMITS
                ) -> Iterator[tuple[ArchiveEntry, Image.Image]]:
    """Inflate and decode the listed photos one by one (refusing the first bad one)."""
    for entry in contents.entries:
        yield entry, decode_photo(read_member(archive, entry.info), entry.name, limits)
