"""Reading a paper scan: pages → QR codes → documents (split at separator sheets) → OCR → labelled values.

Runs in a reader worker process, never in the filing writer. Everything here works on files and text;
deciding the household (which needs the catalog) is the writer's job (pipeline/scans/queue.py).
"""

from __future__ import annotations

import difflib
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hudang.errors import ToolMissing, UnreadableFile
from hudang.forms import ocr, qr
from hudang.forms.definitions import FormDef, FormRegistry
from hudang.forms.readers.model import ReadLimits
from hudang.forms.validate import scan_clean, scan_doubt
from hudang.forms.values import normalize_label

QR_DPI = 150
THUMB_WIDTH = 320


@dataclass
class ScanDocument:
    index: int                       # 1-based, in the received file
    pages: list[int]                 # 1-based page numbers in the received file
    pdf: Path                        # this document's pages, as received (images)
    code: qr.Code | None = None
    text: str = ""                   # OCR text, normalised
    raw: str = ""
    ocr_pdf: Path | None = None      # searchable PDF/A (or plain PDF, see note)
    note: str = ""
    form: str | None = None          # from the QR code, else guessed from the labels in the text
    fields: dict[str, str] = field(default_factory=dict)
    unclear: list[str] = field(default_factory=list)
    thumbnail: Path | None = None
    crops: dict[str, Path] = field(default_factory=dict)   # field → PNG of its box on the scan (our forms)
    layout: str | None = None        # the layout the fields were read with; None: read from the text


@dataclass
class ScanReading:
    documents: list[ScanDocument]
    pages: int
    separators: int = 0
    ocr_error: str | None = None     # OCR could not run here (a tool missing): the scan waits in the OCR queue
    blank: list[int] = field(default_factory=list)   # blank pages (the empty back of a duplex scan), left out


def as_pdf(path: Path, detected: str, workdir: Path, limits: ReadLimits | None = None) -> Path:
    """Images (JPEG, PNG, multi-page TIFF) become a PDF of the same pixels; a PDF stays as it is.
    Frames are counted and measured before any is decoded (the page and pixel limits)."""
    if detected == "pdf":
        return path
    import img2pdf
    from PIL import Image, ImageSequence

    limits = limits or ReadLimits()
    frames: list[bytes] = []
    try:
        with Image.open(path) as image:
            count = getattr(image, "n_frames", 1)
            if count > limits.scan_pages:
                raise _too_many_pages(count, limits, path)
            for number, frame in enumerate(ImageSequence.Iterator(image), 1):
                if frame.size[0] * frame.size[1] > limits.page_pixels:
                    raise UnreadableFile(f"图片第 {number} 页为 {frame.size[0]}×{frame.size[1]} 像素，超过每页 "
                                         f"{limits.page_pixels / 1e6:g} 百万像素的上限（[limits] page_megapixels）",
                                         code="page_too_large", path=str(path))
                page = frame.convert("L" if frame.mode in ("1", "L", "LA", "I;16") else "RGB")
                buf = io.BytesIO()
                dpi = frame.info.get("dpi") or (200, 200)
                page.save(buf, format="PNG", dpi=tuple(int(round(float(d))) or 200 for d in dpi))
                frames.append(buf.getvalue())
    except Image.DecompressionBombError as exc:   # declared size past twice Pillow's own limit: never decoded
        raise UnreadableFile(f"图片声明的像素数过多（疑似“像素炸弹”），超过每页 {limits.page_pixels / 1e6:g} 百万像素的"
                             "上限（[limits] page_megapixels），未读取", code="page_too_large", path=str(path)) from exc
    except (OSError, ValueError) as exc:
        raise UnreadableFile("图片无法打开：文件不完整或已损坏", code="bad_image", path=str(path)) from exc
    dest = workdir / "pages.pdf"
    dest.write_bytes(img2pdf.convert(frames))
    return dest


MIN_DPI = 72       # below this a form's QR code and print are no longer legible: the page is refused


def page_dpi(width_pt: float, height_pt: float, dpi: int, max_pixels: int) -> int | None:
    """The dpi a page is rendered at: ``dpi``, lowered until it fits ``max_pixels``; None below MIN_DPI."""
    area = max(width_pt, 1.0) * max(height_pt, 1.0) / (72 * 72)   # square inches
    fit = int((max_pixels / area) ** 0.5)
    chosen = min(dpi, fit)
    return chosen if chosen >= MIN_DPI else None


def _too_large(number: int, width_pt: float, height_pt: float, limits: ReadLimits, path: Path) -> UnreadableFile:
    return UnreadableFile(f"扫描件第 {number} 页尺寸过大（{width_pt / 72:.0f}×{height_pt / 72:.0f} 英寸），"
                          f"即使按 {MIN_DPI} dpi 也超过每页 {limits.page_pixels / 1e6:g} 百万像素的上限"
                          "（[limits] page_megapixels），无法识别", code="page_too_large", path=str(path))


def _too_many_pages(pages: int, limits: ReadLimits, path: Path) -> UnreadableFile:
    return UnreadableFile(f"扫描件共 {pages} 页，超过每个文件 {limits.scan_pages} 页的上限（[limits] scan_pages），"
                          "请分成几个文件扫描", code="too_many_pages", path=str(path))


def _refuse_image_bombs(doc: Any, index: int, pdf: Path) -> None:
    """An image inside a page past what Pillow decodes in the OCR worker (2 × ``Image.MAX_IMAGE_PIXELS``,
    179 million pixels: a 1200 dpi A3 page is 70) is refused from its declared size, before any rendering."""
    import pypdfium2.raw as raw
    from PIL import Image

    if not Image.MAX_IMAGE_PIXELS:   # Pillow's check turned off: nothing to stay under
        return
    page = doc[index]
    try:
        for image in page.get_objects(filter=(raw.FPDF_PAGEOBJ_IMAGE,), max_depth=3):
            width, height = image.get_px_size()
            if width * height > 2 * Image.MAX_IMAGE_PIXELS:
                raise UnreadableFile(f"扫描件第 {index + 1} 页中的图片为 {width}×{height} 像素，像素数过多（疑似“像素"
                                     "炸弹”），无法识别；请按 200–300 dpi 重新扫描", code="page_too_large", path=str(pdf))
    finally:
        page.close()


def check_pages(pdf: Path, limits: ReadLimits, dpi: int = 0) -> int:
    """Refuse a scan over the page limit, or with a page too large to render within the pixel limit,
    before any page is rendered; returns the number of pages."""
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(str(pdf))
    try:
        count = len(doc)
        if count > limits.scan_pages:
            raise _too_many_pages(count, limits, pdf)
        for index in range(count):
            width, height = doc.get_page_size(index)
            if page_dpi(width, height, dpi or QR_DPI, limits.page_pixels) is None:
                raise _too_large(index + 1, width, height, limits, pdf)
            _refuse_image_bombs(doc, index, pdf)
        return count
    finally:
        doc.close()


def _pages(pdf: Path, dpi: int, limits: ReadLimits) -> Iterator[Any]:
    """Each page as an image, one at a time (a 500-page scan never sits in memory at once); a page too
    large for the pixel limit at ``dpi`` is rendered at a lower dpi, or refused."""
    import pypdfium2 as pdfium

    check_pages(pdf, limits, dpi)
    doc = pdfium.PdfDocument(str(pdf))
    try:
        for index in range(len(doc)):
            page = doc[index]
            try:
                width, height = page.get_size()
                chosen = page_dpi(width, height, dpi, limits.page_pixels)
                if chosen is None:   # checked above; a page cannot grow, but never render past the limit
                    raise _too_large(index + 1, width, height, limits, pdf)
                bitmap = page.render(scale=chosen / 72)
                try:
                    image = bitmap.to_pil()
                    image.load()     # own the pixels before pdfium's buffer goes
                finally:
                    bitmap.close()
            finally:
                page.close()
            yield image
    finally:
        doc.close()


BLANK_INK = 0.0015   # share of dark pixels (after a 3×3 median, which takes scanner speckle away) of an empty page


def is_blank(image: Any) -> bool:
    """No print on the page: the back of a one-sided sheet in a duplex scan, speckle and paper edge shadow aside."""
    from PIL import ImageFilter

    grey = image.convert("L")
    width, height = grey.size
    inner = grey.crop((width // 20, height // 20, width - width // 20, height - height // 20))
    histogram = inner.filter(ImageFilter.MedianFilter(3)).histogram()
    return sum(histogram[:128]) / max(1, sum(histogram)) < BLANK_INK


def _subset(pdf: Path, pages: list[int], dest: Path, turns: dict[int, int]) -> Path:
    """These pages, each turned upright when its QR code showed it was scanned turned (OCR's own page
    rotation guesses from the script, which is unsure for Chinese)."""
    from pypdf import PdfReader, PdfWriter

    reader = PdfReader(str(pdf))
    writer = PdfWriter()
    for number in pages:
        page = writer.add_page(reader.pages[number - 1])
        if turns.get(number):
            page.rotate((-turns[number]) % 360)
    with open(dest, "wb") as fh:
        writer.write(fh)
    return dest


def read_scan(path: Path, detected: str, forms: FormRegistry, workdir: Path, *, ocr_timeout: float = 600,
              limits: ReadLimits | None = None, layouts: Path | None = None) -> ScanReading:
    """Split, read the codes and OCR every document of one scanned file."""
    limits = limits or ReadLimits()
    layouts = layouts or (Path(limits.layouts) if limits.layouts else None)
    workdir.mkdir(parents=True, exist_ok=True)
    pdf = as_pdf(path, detected, workdir, limits)
    groups: list[tuple[list[int], qr.Code | None]] = []
    current: list[int] = []
    code: qr.Code | None = None
    separators = 0
    blank: list[int] = []
    turns: dict[int, int] = {}
    coded: set[int] = set()
    thumbs: dict[int, Any] = {}      # a small picture of each document's first page; the pages themselves go
    number = 0
    for number, image in enumerate(_pages(pdf, QR_DPI, limits), 1):
        codes = qr.read(image)
        if codes:
            coded.add(number)
        if codes and codes[0].orientation:
            turns[number] = codes[0].orientation
        if any(c.separator for c in codes):
            separators += 1
            if current:
                groups.append((current, code))
            current, code = [], None
            continue
        if not codes and is_blank(image):
            blank.append(number)           # kept in the original as scanned, not a page of any document
            continue
        if not current:
            thumb = image.rotate(turns.get(number, 0), expand=True)
            thumb.thumbnail((THUMB_WIDTH, THUMB_WIDTH * 2))
            thumbs[number] = thumb
        current.append(number)
        code = code or next((c for c in codes if c.form), None)
        del image
    if not number:
        raise UnreadableFile("扫描件没有页面", code="empty_scan", path=str(path))
    if current:
        groups.append((current, code))
    if not groups and blank:           # nothing but blank pages: kept as they are, for a person to look at
        groups, blank = [(blank, None)], []
    reading = ScanReading([], number, separators, blank=blank)
    for index, (pages, code) in enumerate(groups, 1):
        upright = not any(turns.get(n) for n in pages)
        whole = len(groups) == 1 and upright and not blank
        doc_pdf = pdf if whole else _subset(pdf, pages, workdir / f"document-{index}.pdf", turns)
        document = ScanDocument(index, pages, doc_pdf, code)
        if pages[0] in thumbs:
            document.thumbnail = workdir / f"thumb-{index}.png"
            thumbs[pages[0]].save(document.thumbnail)
        reading.documents.append(document)
    engine = limits.ocr_engine
    try:
        ocr.check_tools(engine)
    except ToolMissing as exc:
        reading.ocr_error = exc.message
        return reading
    for document in reading.documents:
        # A page with our code was turned upright by it. RapidOCR reads a crooked page as it is; only pages
        # without a code may lie upside down (see below).
        known = all(n in coded for n in document.pages)
        result = ocr.ocr(document.pdf, workdir / f"ocr-{document.index}", engine=engine, timeout=ocr_timeout,
                         upright=known)
        oriented = bool(result.pages) and all(p.oriented for p in result.pages)
        if not known and not oriented and _labels_seen(result.text, forms) < 2:
            # Most pages come upright. One that shows no form labels may have gone through the scanner upside
            # down (Tesseract's orientation guess is unsure for Chinese and was left out; RapidOCR's direction
            # classifier turns each line itself, and a Traditional page it hands to chi_tra goes turned over when
            # the classifier found it upside down): read it turned over, keep the better reading.
            flipped = _subset(document.pdf, list(range(1, len(document.pages) + 1)),
                              workdir / f"document-{document.index}-turned.pdf",
                              dict.fromkeys(range(1, len(document.pages) + 1), 180))
            turned = ocr.ocr(flipped, workdir / f"ocr-{document.index}-turned", engine=engine, timeout=ocr_timeout)
            if _labels_seen(turned.text, forms) > _labels_seen(result.text, forms):
                result = turned
                if document.thumbnail is not None:   # the archivist sees the page the right way up too
                    from PIL import Image

                    with Image.open(document.thumbnail) as thumb:
                        thumb.rotate(180).save(document.thumbnail)
        document.text, document.raw, document.ocr_pdf, document.note = result.text, result.raw, result.pdf, result.note
        form = forms.intake().get(document.code.form) if document.code and document.code.form else None
        form = form or guess_form(document.text, forms)
        if form is not None:
            document.form = form.id
            document.fields, document.unclear = extract_fields(document.text, form, forms)
            if document.code is not None and document.code.form == form.id:
                read_by_layout(document, result, form, layouts, workdir / f"crops-{document.index}", forms)
    return reading


# ---------------------------------------------------------------- our forms, field by field

CONFIDENT = 0.80        # a line read with less is 待核对 (bench/ocr_bench.py: wrong-and-confident rate)
TICK_INK = 0.10         # ink inside a □ beyond this: ticked, crossed or filled
FAINT_TICK = 0.045      # … or this much, and FAINT_RATIO × every other □ of the field (bench: noisy ticks 0.053–0.099,
FAINT_RATIO = 2.0       # unmarked □ up to 0.071 on a crooked page, where its siblings show as much)
MATCHED_LINES = 0.5     # share of value cells whose ruling lines a page without L= must show where its layout says
SCRIBBLE_INK = 0.004    # ink in a value box with no text read: handwriting, a signature


def _strip_label(value: str, name: str) -> str:
    """A label printed just left of its box can be read as one line with the value (编号:WX-2026-0042)."""
    spelled = normalize_label(name)
    if normalize_label(value[:len(name) + 1]).startswith(spelled):
        cut = 0
        for i in range(len(value) + 1):
            if normalize_label(value[:i]) == spelled:
                cut = i
        return _SEPARATORS.sub("", value[cut:])
    return value


def _layout_for(code: qr.Code, form: FormDef, layouts: Path | None, forms: FormRegistry | None = None) -> Any:
    """The stored layout the code names (``L=``); for a blank printed before layout ids (or in another data
    home), the layout of its definition version — stored, or its blank rendered again and stored (once)."""
    from hudang.forms import layout as lay
    from hudang.forms.blank import rendered_layout

    ids = [code.layout] if code.layout else []
    version = code.version if code.version is not None else form.version
    own = lay.layout_id(form.id, version, bool(code.household))
    if own not in ids:
        ids.append(own)
    for layout_id in ids:
        found = lay.load(layouts, layout_id)
        if found is not None:
            return found
    if layouts is None or (code.layout and code.layout != own):
        return None                 # a layout of another page design: read by its labels
    definition = forms.at(form.id, version) if forms is not None else form
    if definition.version != version:
        return None                 # that version's definition is not kept here
    return rendered_layout(definition, code.household, layouts)


def _page_image(pdf: Path, index: int, width: int) -> Any:
    """Page ``index`` of ``pdf`` rendered ``width`` pixels wide (the size OCR read it at), grey."""
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(str(pdf))
    try:
        page = doc[index]
        bitmap = page.render(scale=width / page.get_width())
        image = bitmap.to_pil().convert("L")
        image.load()
        return image
    finally:
        doc.close()


def read_by_layout(document: ScanDocument, result: ocr.OcrResult, form: FormDef, layouts: Path | None,
                   crops: Path, forms: FormRegistry | None = None) -> bool:
    """Our own form read box by box: the QR code maps the stored layout onto the scan; each recognised line
    goes to the field whose box holds its middle; choice boxes are read from the ink in and around each □.
    Confident values are filled; low confidence, ink without text and two ticks in a one-choice field are
    待核对, with a PNG of the field's box. False when the page has no layout to read it by."""
    from hudang.forms import layout as lay

    assert document.code is not None
    layout = _layout_for(document.code, form, layouts, forms)
    if layout is None:
        return False
    for index, page in enumerate(result.pages):
        coded = [c for c in page.codes if c.get("form") == form.id and c.get("corners")]
        image = _page_image(result.pdf, index, page.width)
        if not coded:   # the OCR pass missed the code on its copy of a noisy page (bench: 1 page in 40): look again
            coded = [c.where() for c in qr.read(image) if c.form == form.id and c.corners]
            if not coded:
                continue
        t = lay.mapping(layout, coded[0]["corners"], image)
        if t is None:
            continue
        if not document.code.layout and lay.lines_found(image, layout, t) < MATCHED_LINES:
            return False               # a code without L= on a page that is not that blank: read by its labels
        fields: dict[str, str] = {}
        unclear: list[str] = []
        crops.mkdir(parents=True, exist_ok=True)
        inside: dict[str, list[ocr.Line]] = {}
        for line in page.lines:
            x, y = lay.to_layout(t, (line.box[0] + line.box[2]) / 2, (line.box[1] + line.box[3]) / 2)
            for name, box in layout.fields.items():
                left, top, right, bottom = box.box
                if left <= x <= right and top <= y <= bottom:
                    inside.setdefault(name, []).append(line)
                    break
        for name, box in layout.fields.items():
            kind = form.field(name)
            crop = crops / f"crop-{len(document.crops) + 1:02d}.png"
            image.crop(lay.pixel_box(t, box.box, grow=2)).save(crop)
            document.crops[name] = crop
            if box.choices:
                chosen, doubt = choice_value(image, t, box, kind.type == "multi")
                if chosen is not None:
                    fields[name] = chosen
                if doubt:
                    unclear.append(name)
                continue
            # a line of nothing but marks (a speck read as ：or ·, at low confidence) is not part of the value
            lines = [ln for ln in inside.get(name, []) if _WORDS.search(ln.text)]
            value = _SEPARATORS.sub("", ocr.normalise("\n".join(ln.text for ln in lines)).replace("\n", ""))
            value = scan_clean(kind, _GLUED_TIME.sub(r"\1 \2", _strip_label(value, name)))
            if box.printed and ocr.normalise(box.printed) == value:
                continue                       # printed on the blank (the estate, the room): not written
            if not value or _BLANK.match(value):
                if lay.box_ink(image, t, box.box) > SCRIBBLE_INK and not box.printed:
                    unclear.append(name)       # ink, but nothing OCR could read: handwriting
                continue
            if min(ln.confidence for ln in lines) < CONFIDENT or _scribbled(value, name):
                unclear.append(name)
                continue
            fields[name] = value
        known = forms.number_prefixes() if forms is not None else frozenset()
        for name, value in list(fields.items()):   # a value that fails its field is read wrong: a person checks
            if not layout.fields[name].choices and scan_doubt(form, name, value, fields, known):
                del fields[name]
                unclear.append(name)
        document.fields = fields
        document.unclear = unclear
        document.layout = layout.id
        return True
    return False


def choice_value(image: Any, t: tuple[float, float, float, float], box: Any, multi: bool
                 ) -> tuple[str | None, bool]:
    """A choice field's value as read from its boxes, and whether a person must decide: two marks in a
    one-choice field are 待核对, not a guess."""
    marked = marked_choices(image, t, box)
    if len(marked) > 1 and not multi:
        return None, True
    return ("、".join(marked) if marked else None), False


def marked_choices(image: Any, t: tuple[float, float, float, float], box: Any) -> list[str]:
    """The choices of one field marked on the scan: ink inside the □ beyond TICK_INK, or a circle round it.
    When none is, a faint tick (its strokes mostly along the □'s lower left edge, outside the inner area) is
    still one: the one □ whose inner ink is at least FAINT_TICK and FAINT_RATIO times every other □'s of the
    field — a crooked scan that puts the outlines into the inner area puts them into every □ alike."""
    from hudang.forms import layout as lay

    t = lay.local(image, t, box.box)     # onto the ruling lines of this field's cell
    inner = {c: lay.inner_ink(image, t, b) for c, b in box.choices.items()}
    marked = [c for c, b in box.choices.items()
              if inner[c] > TICK_INK or lay.circled(image, t, b, box.ink.get(c, []))
              or (c in box.words and lay.ringed(image, t, box.words[c], box.rings.get(c, [])))]
    if not marked and len(inner) > 1:
        best = max(inner, key=lambda c: inner[c])
        rest = max(v for c, v in inner.items() if c != best)
        if inner[best] >= FAINT_TICK and inner[best] >= FAINT_RATIO * rest:
            marked = [best]
    return marked


def _labels_seen(text: str, forms: FormRegistry) -> int:
    """Form labels of three or more characters in the text: an upright page shows some; an upside-down one
    reads as made-up characters that happen to be Chinese too, so only words we know tell them apart."""
    flat = normalize_label(text)
    return sum(1 for label in forms.intake().all_labels() if len(label) >= 3 and label in flat)


# ---------------------------------------------------------------- labelled values in OCR text

_SEPARATORS = re.compile(r"^[\s:：*＊|丨_.。,，;；~～\"'“”‘’」「·・]+|[\s|丨_~～\"'“”·・.]+$")
_BLANK = re.compile(r"^[\s_\-—□☐|丨.。]*$|^[\s年月日时分_]+$")   # an empty box, or a date line not filled in


def _labels(form: FormDef) -> list[tuple[str, str]]:
    """(normalised spelling, field name), longest first, so 投诉人房号 wins over 投诉人."""
    spelled = {normalize_label(f.name): f.name for f in form.fields}
    for f in form.fields:
        for alias in f.aliases:
            spelled.setdefault(normalize_label(alias), f.name)
    return sorted(spelled.items(), key=lambda kv: -len(kv[0]))


def _find_labels(line: str, labels: list[tuple[str, str]]) -> list[tuple[int, int, str]]:
    """Exact label spellings in a line (spaces between characters allowed), left to right, no overlaps."""
    found: list[tuple[int, int, str]] = []
    for spelled, name in labels:
        pattern = r"\s*".join(map(re.escape, spelled))
        for m in re.finditer(pattern, line):
            if any(m.start() < end and start < m.end() for start, end, _ in found):
                continue
            if any(n == name for *_, n in found):
                continue
            found.append((m.start(), m.end(), name))
    return sorted(found)


def _fuzzy_start(line: str, labels: list[tuple[str, str]]) -> tuple[int, str] | None:
    """A label OCR misread by a character at the start of a line (投訴入 → 投诉人): at least 3 characters."""
    best: tuple[float, int, str] | None = None
    for spelled, name in labels:
        if len(spelled) < 3:
            continue
        head = line[:len(spelled)]
        ratio = difflib.SequenceMatcher(None, head, spelled).ratio()
        if ratio >= 0.66 and (best is None or ratio > best[0]):
            best = (ratio, len(spelled), name)
    return (best[1], best[2]) if best else None


def _choice_list(form: FormDef, name: str, value: str) -> bool:
    """The printed list of choices (OCR reads its boxes as 口), not a choice made."""
    choices = form.field(name).choices
    return sum(1 for c in choices if c in value) >= 2


_GLUED_TIME = re.compile(r"(\d{4}[-/.]\d{1,2}[-/.]\d{2})(\d{1,2}:\d{2})")   # RapidOCR drops the space: 2026-11-0309:30
_CJK_OR_DIGIT = re.compile(r"[\u3400-\u9fff0-9]")
_WORDS = re.compile(r"[\u3400-\u9fff0-9A-Za-z\uff10-\uff19\uff21-\uff3a\uff41-\uff5a]")   # not only marks
_LATIN = re.compile(r"[A-Za-z]")
_CODE = re.compile(r"(?=.*\d)[A-Za-z0-9][A-Za-z0-9\-_/.]{3,}")


def _scribbled(value: str, name: str) -> bool:
    """Handwriting and signatures come out of OCR as stray Latin letters and marks (``vv人``, ``~ ww``);
    a code such as ``TS-2026-01`` or a plate is typed text."""
    if _CODE.fullmatch(value):
        return False
    good = len(_CJK_OR_DIGIT.findall(value))
    letters = len(_LATIN.findall(value))
    return good == 0 or (letters >= good and "车牌" not in name)


def extract_fields(text: str, form: FormDef, forms: FormRegistry | None = None) -> tuple[dict[str, str], list[str]]:
    """Values written after their labels on the same line, and the fields whose box holds marks that are
    not text (a signature, handwriting): those are for a person to check (待核对).

    Exact label spellings win over labels OCR misread; empty boxes and the printed choice lists give nothing."""
    labels = _labels(form)
    title = normalize_label(form.name)
    exact: dict[str, str] = {}
    fuzzy: dict[str, str] = {}
    unclear: list[str] = []
    for line in text.splitlines():
        if normalize_label(line) == title:
            continue
        hits = [(start, end, name, exact) for start, end, name in _find_labels(line, labels)]
        if not hits or hits[0][0] > 2:
            guess = _fuzzy_start(line, labels)
            if guess and not (hits and hits[0][0] < guess[0]):
                hits = [(0, guess[0], guess[1], fuzzy), *[h for h in hits if h[0] >= guess[0]]]
        for i, (_, end, name, into) in enumerate(hits):
            stop = hits[i + 1][0] if i + 1 < len(hits) else len(line)
            value = scan_clean(form.field(name), _GLUED_TIME.sub(r"\1 \2", _SEPARATORS.sub("", line[end:stop])))
            if "□" in value or "☐" in value or _BLANK.match(value) or _choice_list(form, name, value):
                continue
            if _scribbled(value, name):
                unclear.append(name)   # marks in the box, but no characters OCR could read
                continue
            into.setdefault(name, value)
    values = {**{k: v for k, v in fuzzy.items() if k not in exact}, **exact}
    known = forms.number_prefixes() if forms is not None else frozenset()
    for name, value in list(values.items()):   # fails its field (a 编号 with confused letters): a person checks
        if scan_doubt(form, name, value, values, known):
            del values[name]
            unclear.append(name)
    return values, [name for name in dict.fromkeys(unclear) if name not in values]


def guess_form(text: str, forms: FormRegistry) -> FormDef | None:
    """Without a QR code: the title, else the form whose labels the page shows most (at least 3)."""
    head = normalize_label("".join(text.splitlines()[:4]))
    for form in forms.intake():
        if normalize_label(form.name) in head:
            return form
    flat = normalize_label(text)
    scored = sorted(((sum(1 for f in form.fields if normalize_label(f.name) in flat), form.name, form)
                     for form in forms.intake()), key=lambda s: (s[0], s[1]), reverse=True)
    return scored[0][2] if scored and scored[0][0] >= 3 else None
