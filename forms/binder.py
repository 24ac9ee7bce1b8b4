"""A bound PDF binder from many documents: each part made a PDF (office files in one batched LibreOffice
call, images placed on A4, PDFs as they are), the parts joined in order, and every page of the documents
stamped with its 档号 and a running page number.

Converted PDFs are cached under the data home by the SHA-256 of what was converted, so a second binder
of the same household pays LibreOffice nothing. The cache is derived: deleting it loses nothing.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    NameObject,
)

from hudang.forms import office
from hudang.forms.readers.sniff import IMAGE_SUFFIXES
from hudang.settings import OfficeSettings

PDF_SUFFIXES = frozenset({".pdf"})
OFFICE_SUFFIXES = frozenset({".docx", ".doc", ".xlsx", ".xls", ".wps", ".et", ".odt", ".ods", ".rtf", ".csv", ".txt"})
A4 = (595.28, 841.89)
IMAGE_BORDER_PT = 42.5          # 15 mm around a photo or scan placed on A4
STAMP_FONT = "/HdStamp"


def kind_of(path: Path) -> str | None:
    """How a file becomes PDF: ``pdf``, ``image``, ``office`` — or None when it cannot."""
    suffix = path.suffix.lower()
    if suffix in PDF_SUFFIXES:
        return "pdf"
    if suffix in IMAGE_SUFFIXES:
        return "image"
    if suffix in OFFICE_SUFFIXES:
        return "office"
    return None


def file_key(path: Path, salt: str = "") -> str:
    digest = hashlib.sha256(salt.encode("utf-8"))
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class Made:
    """Each source's PDF (None when it could not be made) and how many LibreOffice calls it took."""

    pdfs: dict[Path, Path | None]
    office_calls: int
    converted: int
    from_cache: int


def _atomic_copy(source: Path, dest: Path) -> None:
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.tmp")
    shutil.copyfile(source, tmp)
    os.replace(tmp, dest)


def _image_pdf(source: Path, dest: Path) -> bool:
    """The image fitted into A4 with a margin, pixels untouched (img2pdf); Pillow only for what img2pdf refuses."""
    import img2pdf

    layout = img2pdf.get_layout_fun(A4, border=(IMAGE_BORDER_PT, IMAGE_BORDER_PT), fit=img2pdf.FitMode.into)
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.tmp")
    try:
        data = img2pdf.convert(str(source), layout_fun=layout, rotation=img2pdf.Rotation.ifvalid)
    except Exception:  # noqa: BLE001 - alpha channels, palette quirks, odd formats: go through Pillow
        from PIL import Image

        try:
            with tempfile.TemporaryDirectory(prefix="hudang-img-") as scratch, Image.open(source) as img:
                flat = Path(scratch) / "page.png"
                img.convert("RGB").save(flat)
                data = img2pdf.convert(str(flat), layout_fun=layout)
        except Exception:  # noqa: BLE001 - not an image after all: the caller lists it as not included
            return False
    tmp.write_bytes(data)
    os.replace(tmp, dest)
    return True


def _readable(path: Path) -> bool:
    try:
        reader = PdfReader(path)
        if reader.is_encrypted and not reader.decrypt(""):
            return False
        return len(reader.pages) > 0
    except Exception:  # noqa: BLE001 - a damaged PDF is listed, not bound
        return False


def make_pdfs(sources: dict[Path, str], cache: Path, *, settings: OfficeSettings | None = None) -> Made:
    """Every source (path → its cache key) as a PDF; office files converted in ONE `office.to_pdf` call.

    PDFs are used where they are; images and office files go through the cache (``<key>.pdf``)."""
    settings = settings or OfficeSettings()
    cache.mkdir(parents=True, exist_ok=True)
    out: dict[Path, Path | None] = {}
    to_convert: dict[Path, str] = {}
    hits = made = 0
    for path, key in sources.items():
        kind = kind_of(path)
        cached = cache / f"{key}.pdf"
        if kind == "pdf":
            out[path] = path if _readable(path) else None
        elif kind is None:
            out[path] = None
        elif cached.is_file():
            out[path] = cached
            hits += 1
        elif kind == "image":
            out[path] = cached if _image_pdf(path, cached) else None
            made += 1
        else:
            to_convert[path] = key
    calls = 0
    if to_convert:
        with tempfile.TemporaryDirectory(prefix="hudang-binder-", dir=cache) as scratch:
            staged = {}
            for path, key in to_convert.items():
                copy = Path(scratch) / "in" / f"{key}{path.suffix.lower()}"
                copy.parent.mkdir(exist_ok=True)
                shutil.copyfile(path, copy)
                staged[copy] = path
            conversion = office.to_pdf(list(staged), Path(scratch) / "out", instances=settings.pdf_instances,
                                       batch=settings.pdf_batch, timeout=settings.timeout, target=office.ANY_PDF)
            calls = conversion.calls
            for copy, pdf in conversion.pdfs.items():
                source = staged[copy]
                if pdf is not None and _readable(pdf):
                    dest = cache / f"{to_convert[source]}.pdf"
                    _atomic_copy(pdf, dest)
                    out[source] = dest
                    made += 1
                else:
                    out[source] = None
    return Made(out, calls, made, hits)


def page_count(pdf: Path) -> int:
    return len(PdfReader(pdf).pages)


@dataclass(frozen=True)
class Section:
    """Pages bound in order; ``stamp`` is the 档号 printed on each page (None: front matter, not numbered)."""

    pdf: Path
    stamp: str | None


def _pdf_text(text: str) -> bytes:
    safe = text.encode("latin-1", "replace").replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")
    return b"(" + safe + b")"


def _stamp_ops(box: tuple[float, float, float, float], archive_no: str, number: int) -> bytes:
    """A small boxed stamp in the top-right corner: the 档号 over the running page number (Helvetica)."""
    x0, y0, x1, y1 = box
    size = 8.0
    width = max(len(archive_no), 6) * size * 0.58 + 10
    left, bottom = x1 - width - 14, y1 - 14 - 24
    no_width = len(str(number)) * size * 1.25 * 0.56
    return b"".join([
        b"\nq 1 1 1 rg 0 0 0 RG 0.6 w ",
        f"{left:.2f} {bottom:.2f} {width:.2f} 24 re B ".encode(),
        b"0 0 0 rg BT ", STAMP_FONT.encode(), f" {size} Tf 1 0 0 1 {left + 5:.2f} {bottom + 14:.2f} Tm ".encode(),
        _pdf_text(archive_no), b" Tj ", STAMP_FONT.encode(),
        f" {size * 1.25} Tf 1 0 0 1 {left + (width - no_width) / 2:.2f} {bottom + 3:.2f} Tm ".encode(),
        _pdf_text(str(number)), b" Tj ET Q\n"])


def assemble(sections: Sequence[Section], dest: Path) -> list[int]:
    """Join the sections into ``dest`` (written atomically); pages of stamped sections numbered from 1.

    Returns each section's page count. The stamp is added as content streams around the page's own
    (``q … Q`` first), never by re-rendering, so the documents' pages stay as they were."""
    writer = PdfWriter()
    font = writer._add_object(DictionaryObject({
        NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject("/Type1"),
        NameObject("/BaseFont"): NameObject("/Helvetica"), NameObject("/Encoding"): NameObject("/WinAnsiEncoding")}))
    opening = DecodedStreamObject()
    opening.set_data(b"q\n")
    opening_ref = writer._add_object(opening)
    counts = []
    number = 0
    for section in sections:
        reader = PdfReader(section.pdf)
        counts.append(len(reader.pages))
        for source_page in reader.pages:
            page = writer.add_page(source_page)
            if section.stamp is None:
                continue
            number += 1
            if page.get("/Rotate", 0) % 360:
                page.transfer_rotation_to_content()
            box = page.cropbox
            closing = DecodedStreamObject()
            closing.set_data(b"\nQ" + _stamp_ops((float(box.left), float(box.bottom), float(box.right),
                                                   float(box.top)), section.stamp, number))
            contents = page.get("/Contents")
            existing = contents.get_object() if contents is not None else None
            if existing is None:
                parts: list[object] = []
            elif isinstance(existing, ArrayObject):
                parts = list(existing)
            else:
                parts = [contents]
            page[NameObject("/Contents")] = ArrayObject([opening_ref, *parts, writer._add_object(closing)])
            resources = page.get("/Resources")
            res = resources.get_object() if resources is not None else DictionaryObject()
            if resources is None:
                page[NameObject("/Resources")] = res
            fonts = res.get("/Font")
            font_dict = fonts.get_object() if fonts is not None else DictionaryObject()
            if fonts is None:
                res[NameObject("/Font")] = font_dict
            font_dict[NameObject(STAMP_FONT)] = font
    tmp = dest.with_name(f".{dest.name}.tmp")
    with open(tmp, "wb") as fh:
        writer.write(fh)
    os.replace(tmp, dest)
    return counts
