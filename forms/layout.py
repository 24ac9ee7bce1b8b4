"""Where each field's box lies on one of our printed blank forms, read from the PDF LibreOffice rendered.

Rows have minimum heights and LibreOffice decides where the boxes fall, so the layout is read from the rendered
PDF: the table's ruling lines (PDF path objects) give the cells, the label printed in a cell names the field
whose value goes in the cell to its right, ``□`` glyphs in a value cell are its choice boxes, and the QR code's
corners (found on a render of the blank by the same detector that reads scans) tie the layout to a scan.

A layout is stored as JSON under its **layout id** (``<home>/layouts/<id>.json``), which the QR code carries
(``L=``). The id is a digest of what decides the layout — form id, definition version, whether a household line
is printed, and `REVISION` of the blank generator (forms/blank.py) — so it is known before the blank is rendered,
and a blank printed before ids were printed (no ``L=``) finds the same layout from its form, version and household.
Coordinates are PDF points with the origin at the page's top-left.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

Box = tuple[float, float, float, float]       # left, top, right, bottom

REVISION = 1          # of forms/blank.py's page design; raise it when the printed layout changes
INK_DPI = 200         # the blank is rendered at this dpi to measure the ink its choice boxes have printed


def layout_id(form_id: str, version: int, household: bool) -> str:
    key = f"{form_id}|{version}|{'H' if household else '-'}|{REVISION}"
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:8]


@dataclass
class FieldBox:
    box: Box                                   # the value cell (inside the ruling lines)
    label: Box                                 # the label cell
    choices: dict[str, Box] = field(default_factory=dict)   # choice → its printed □
    printed: str = ""                          # text printed in the value cell of the blank (estate, room)
    ink: dict[str, list[float]] = field(default_factory=dict)   # choice → ink round its □ on the blank itself
    words: dict[str, Box] = field(default_factory=dict)  # choice → its □ and printed word together
    rings: dict[str, list[float]] = field(default_factory=dict)  # choice → ink round □ and word on the blank


@dataclass
class Layout:
    id: str
    form: str
    version: int
    size: tuple[float, float]                  # page width, height
    qr: list[tuple[float, float]]              # code corners: top-left, top-right, bottom-right, bottom-left
    fields: dict[str, FieldBox]

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Layout:
        fields = {name: FieldBox(tuple(f["box"]), tuple(f["label"]),  # type: ignore[arg-type]
                                 {c: tuple(b) for c, b in f["choices"].items()}, f.get("printed", ""),
                                 f.get("ink", {}), {c: tuple(b) for c, b in f.get("words", {}).items()},
                                 f.get("rings", {}))
                  for name, f in data["fields"].items()}
        return cls(data["id"], data["form"], data["version"], tuple(data["size"]),  # type: ignore[arg-type]
                   [tuple(p) for p in data["qr"]], fields)  # type: ignore[misc]


def extract(pdf: Path, form: Any, layout: str, page: int = 0) -> Layout:
    """The layout of page ``page`` of a rendered blank of ``form`` (a FormDef)."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as raw

    from hudang.forms import qr
    from hudang.forms.values import normalize_label

    doc = pdfium.PdfDocument(str(pdf))
    try:
        pg = doc[page]
        width, height = pg.get_size()
        flats: list[tuple[float, float, float]] = []      # y, left, right
        uprights: list[tuple[float, float, float]] = []   # x, top, bottom
        for obj in pg.get_objects():
            if obj.type != raw.FPDF_PAGEOBJ_PATH:
                continue
            left, bottom, right, top = obj.get_bounds()
            if top - bottom < 2 and right - left > 20:
                flats.append((height - (top + bottom) / 2, left, right))
            elif right - left < 2 and top - bottom > 10:
                uprights.append(((left + right) / 2, height - top, height - bottom))
        text = pg.get_textpage()
        names = {normalize_label(f.name): f.name for f in form.fields}
        ys = sorted({round(y, 1) for y, *_ in flats})
        fields: dict[str, FieldBox] = {}
        for top, bottom in zip(ys, ys[1:], strict=False):
            xs = sorted({round(x, 1) for x, t, b in uprights if t <= top + 1 and b >= bottom - 1})
            cells = list(zip(xs, xs[1:], strict=False))
            for (l1, r1), (l2, r2) in zip(cells[::2], cells[1::2], strict=False):
                words = text.get_text_bounded(l1, height - bottom, r1, height - top)
                name = names.get(normalize_label(words.replace("*", "")))
                if name is None:
                    continue
                value = (l2, top, r2, bottom)
                printed = text.get_text_bounded(l2, height - bottom, r2, height - top).strip()
                choices, labels = _choices(text, value, height)
                fields[name] = FieldBox(value, (l1, top, r1, bottom), choices, "" if "□" in printed else printed,
                                        words=labels)
        if form.number_field and form.number_field not in fields:   # 编号：____ on the line under the title
            found = text.search(form.number_field, match_case=True).get_next()
            if found is not None:
                x0, y0, x1, y1 = text.get_charbox(found[0] + found[1] - 1)
                fields[form.number_field] = FieldBox((x1 + 11, height - y1 - 4, x1 + 11 + 150, height - y0 + 4),
                                                     (x0, height - y1, x1, height - y0))
        image = pg.render(scale=INK_DPI / 72).to_pil().convert("L")
        identity = (INK_DPI / 72, 0.0, 0.0, 0.0)
        for box in fields.values():
            box.ink = {c: ring_ink(image, identity, b) for c, b in box.choices.items()}
            box.rings = {c: label_ring_ink(image, identity, b) for c, b in box.words.items()}
        codes = qr.read(image)
        corners = [(x * 72 / INK_DPI, y * 72 / INK_DPI) for x, y in codes[0].corners] if codes else []
        return Layout(layout, form.id, form.version, (width, height), corners, fields)
    finally:
        doc.close()


def _choices(text: Any, cell: Box, height: float) -> tuple[dict[str, Box], dict[str, Box]]:
    """Each □ in the cell and the words printed after it up to the next □; and each □ with its words, the
    label a person may draw a ring round."""
    left, top, right, bottom = cell
    marks: list[tuple[Box, int]] = []
    search = text.search("□", match_case=True)
    while (hit := search.get_next()) is not None:
        x0, y0, x1, y1 = text.get_charbox(hit[0])
        box = (x0, height - y1, x1, height - y0)
        if left <= (x0 + x1) / 2 <= right and top <= box[1] and box[3] <= bottom:
            marks.append((box, hit[0]))
    marks.sort(key=lambda m: (round(m[0][1]), m[0][0]))
    out: dict[str, Box] = {}
    labels: dict[str, Box] = {}
    for i, (box, index) in enumerate(marks):
        stop = marks[i + 1][0][0] if i + 1 < len(marks) and abs(marks[i + 1][0][1] - box[1]) < 3 else right
        words = text.get_text_bounded(box[2], height - box[3] - 1, stop, height - box[1] + 1).strip()
        if not words:
            continue
        out[words] = box
        end = box[2]
        for k in range(index + 1, min(index + 1 + 3 * len(words), text.count_chars())):
            x0, y0, x1, _ = text.get_charbox(k)
            if x1 > stop + 0.5 or abs((height - y0) - box[3]) > 4:
                break                           # the next □, or the next line
            if text.get_text_range(k, 1).strip():
                end = max(end, x1)
        labels[words] = (box[0], box[1], end, box[3])
    return out, labels


def _ink(image: Any, box: tuple[int, int, int, int]) -> float:
    """Share of dark pixels in a pixel box of a grey image, after a 3×3 median (scanner speckle is not ink)."""
    from PIL import ImageFilter

    left, top, right, bottom = box
    if right - left < 3 or bottom - top < 3:
        return 0.0
    histogram = image.crop(box).filter(ImageFilter.MedianFilter(3)).histogram()
    return sum(histogram[:128]) / max(1, sum(histogram))


def pixel_box(t: tuple[float, float, float, float], box: Box, grow: float = 0.0) -> tuple[int, int, int, int]:
    """The image-pixel rectangle around a layout box (grown by ``grow`` points on each side)."""
    left, top, right, bottom = box[0] - grow, box[1] - grow, box[2] + grow, box[3] + grow
    points = [to_image(t, x, y) for x, y in ((left, top), (right, top), (right, bottom), (left, bottom))]
    return (int(min(p[0] for p in points)), int(min(p[1] for p in points)),
            int(max(p[0] for p in points)) + 1, int(max(p[1] for p in points)) + 1)


def inner_ink(image: Any, t: tuple[float, float, float, float], box: Box) -> float:
    """Ink inside a printed □ (its outline left out): a tick, a cross or a filled square."""
    side = box[2] - box[0]
    inset = side * 0.22
    return _ink(image, pixel_box(t, (box[0] + inset, box[1] + inset, box[2] - inset, box[3] - inset)))


def ring_ink(image: Any, t: tuple[float, float, float, float], box: Box) -> list[float]:
    """Ink in three strips just outside a □ — above, below and left of it (its words are on the right) —
    where a circle drawn round the box passes."""
    left, top, right, bottom = box
    near, far = 1.3, 4.0
    strips = [(left, top - far, right, top - near), (left, bottom + near, right, bottom + far),
              (left - far, top, left - near, bottom)]
    return [_ink(image, pixel_box(t, strip)) for strip in strips]


def label_ring_ink(image: Any, t: tuple[float, float, float, float], label: Box) -> list[float]:
    """Ink in four bands round a □ and its word — above, below, left and right — where a ring drawn round the
    label passes."""
    left, top, right, bottom = label
    near, far = 1.3, 9.0
    bands = [(left, top - far, right, top - near), (left, bottom + near, right, bottom + far),
             (left - far, top, left - near, bottom), (right + near, top, right + far, bottom)]
    return [_ink(image, pixel_box(t, band)) for band in bands]


def ringed(image: Any, t: tuple[float, float, float, float], label: Box, blank: list[float],
           more: float = 0.04) -> bool:
    """A ring round the □ and its word: the bands above and below it and one of those at its ends carry ink the
    blank did not (a tick's tail reaching the next label crosses its left and top bands only; a ring's ends are
    short arcs, one of them may pass through the next □'s band). ``more``, measured on the OCR bench's two page
    sets (seeds 14 and 15, 160 form pages): no unmarked label came above 0.029 in all three bands; a ring passing
    close over its word gave 0.045 above it (0.05 missed it)."""
    if len(blank) != 4:
        return False
    top, bottom, left, right = (now - was > more for now, was in zip(label_ring_ink(image, t, label), blank,
                                                                      strict=True))
    return top and bottom and (left or right)


def circled(image: Any, t: tuple[float, float, float, float], box: Box, blank: list[float],
            more: float = 0.15) -> bool:
    """A circle round the □: at least two of its strips carry ink the blank did not (``more``: 0.06 would read one
    more circle of the OCR bench's noisy pages, but a tick's tail running up into the next □'s strips passes it)."""
    ink = ring_ink(image, t, box)
    return sum(1 for now, was in zip(ink, blank or [0.0] * 3, strict=False) if now - was > more) >= 2


def box_ink(image: Any, t: tuple[float, float, float, float], box: Box) -> float:
    """Ink inside a value box, 3 pt in from its ruling lines: the box cut out of the scan turned straight (a
    crooked scan's ruling lines would otherwise fall into the corners of a long box)."""
    import math

    from PIL import Image

    a, b, _, _ = t
    cut = image.crop(pixel_box(t, box))
    straight = cut.rotate(math.degrees(math.atan2(b, a)), resample=Image.Resampling.BILINEAR, fillcolor=255)
    scale = math.hypot(a, b)
    w, h = (box[2] - box[0] - 6) * scale, (box[3] - box[1] - 6) * scale
    cx, cy = straight.width / 2, straight.height / 2
    return _ink(straight, (int(cx - w / 2), int(cy - h / 2), int(cx + w / 2), int(cy + h / 2)))


LINE_SEARCH = 6.0     # points either side of where the QR code puts a ruling line that the line is looked for
REFITS = 3            # refits of the mapping to the ruling lines at most
LINE_DARK = 0.8       # share of a window's row (column) a ruling line darkens; text strokes stay well below


def line_offsets(image: Any, t: tuple[float, float, float, float], box: Box) -> tuple[float | None, float | None]:
    """How far the value cell's ruling lines on the scan are from where ``t`` puts them, in points (x, y):
    the cell cut out turned straight, its left and right lines looked for in columns over the middle of its
    height, its top and bottom lines in rows over a window at the middle of its width (short, so a small error
    in the QR code's angle does not spread a line over many rows). None for a pair not both found, or found
    disagreeing — the box has no ruling lines there (编号 on its underline) or ink covers them."""
    import math

    import numpy as np
    from PIL import Image

    a, b, _, _ = t
    scale = math.hypot(a, b)
    left, top, right, bottom = box
    grow = LINE_SEARCH + 2
    cut = image.crop(pixel_box(t, box, grow=grow))
    straight = cut.rotate(math.degrees(math.atan2(b, a)), resample=Image.Resampling.BILINEAR, fillcolor=255)
    dark = np.asarray(straight) < 160
    mx, my = (left + right) / 2, (top + bottom) / 2
    cx, cy = straight.width / 2, straight.height / 2

    def found(profile: Any, expected: float) -> float | None:
        lo = max(0, int(expected - LINE_SEARCH * scale))
        hi = min(len(profile), int(expected + LINE_SEARCH * scale) + 1)
        if hi - lo < 3:
            return None
        window = profile[lo:hi]
        best = int(np.argmax(window))
        if window[best] < LINE_DARK:
            return None
        near = [(i, v) for i, v in enumerate(window) if abs(i - best) <= 3 and v >= 0.5 * window[best]]
        centre = sum(i * v for i, v in near) / sum(v for _, v in near)
        return (lo + centre - expected) / scale

    def pair(first: float | None, second: float | None) -> float | None:
        if first is None or second is None or abs(first - second) > 2.0:
            return None
        return (first + second) / 2

    half = min(15.0, (right - left) / 2 - 2)
    cols = slice(int(cx - half * scale), int(cx + half * scale))
    rows_profile = dark[:, cols].mean(axis=1) if cols.stop > cols.start else np.zeros(dark.shape[0])
    dy = pair(found(rows_profile, cy + (top - my) * scale), found(rows_profile, cy + (bottom - my) * scale))
    tall = max(2.0, (bottom - top) / 2 - 3)
    rows = slice(int(cy - tall * scale), int(cy + tall * scale))
    cols_profile = dark[rows, :].mean(axis=0) if rows.stop > rows.start else np.zeros(dark.shape[1])
    dx = pair(found(cols_profile, cx + (left - mx) * scale), found(cols_profile, cx + (right - mx) * scale))
    return dx, dy


def shifted(t: tuple[float, float, float, float], dx: float, dy: float) -> tuple[float, float, float, float]:
    """``t`` moved so that a layout point lands where ``t`` put the point (dx, dy) points from it."""
    a, b, tx, ty = t
    return a, b, tx + a * dx - b * dy, ty + b * dx + a * dy


def refine(image: Any, layout: Layout, t: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    """The QR code's mapping corrected by the form's table lines: each value cell whose ruling lines are found
    near where the code puts them gives one point (its centre, where the lines say it is); the similarity is
    fitted again to those points and the code's corners. A small code's corners are off by a pixel or so,
    which turns into several points at the far end of the page; the ruling lines span it."""
    import numpy as np

    pairs: list[tuple[tuple[float, float], tuple[float, float]]] = []
    for box in layout.fields.values():
        dx, dy = line_offsets(image, t, box.box)
        if dx is None or dy is None:
            continue
        mx, my = (box.box[0] + box.box[2]) / 2, (box.box[1] + box.box[3]) / 2
        pairs.append(((mx, my), to_image(t, mx + dx, my + dy)))
    if len(pairs) < 3:
        return t
    pairs += [(corner, to_image(t, *corner)) for corner in layout.qr]
    rows, rhs = [], []
    for (x, y), (u, v) in pairs:
        rows += [[x, -y, 1, 0], [y, x, 0, 1]]
        rhs += [u, v]
    solution, *_ = np.linalg.lstsq(np.array(rows), np.array(rhs), rcond=None)
    a, b, tx, ty = (float(v) for v in solution)
    return a, b, tx, ty


def mapping(layout: Layout, corners: list[tuple[float, float]] | tuple[tuple[float, float], ...], image: Any
            ) -> tuple[float, float, float, float] | None:
    """Layout points → pixels of ``image``: from the QR code's position, size and angle, corrected by the table
    lines (`refine`); None without the code's corners."""
    t = transform(layout, corners)
    if t is None:
        return None
    for _ in range(REFITS):      # cells near the code are found first; the refit brings the far ones in reach
        before, t = t, refine(image, layout, t)
        if t == before or abs(t[2] - before[2]) + abs(t[3] - before[3]) < 0.5:
            break
    return t


def lines_found(image: Any, layout: Layout, t: tuple[float, float, float, float]) -> float:
    """Share of the layout's value cells whose ruling lines (both pairs) are on the scan where ``t`` puts them:
    a page whose code names a form but that is not that blank (typed, or another design) shows few."""
    found = [all(d is not None for d in line_offsets(image, t, box.box)) for box in layout.fields.values()]
    return sum(found) / len(found) if found else 0.0


def local(image: Any, t: tuple[float, float, float, float], box: Box) -> tuple[float, float, float, float]:
    """``t`` moved, for one box, onto the ruling lines found round it (what is not found is left as it was)."""
    dx, dy = line_offsets(image, t, box)
    return shifted(t, dx or 0.0, dy or 0.0) if dx or dy else t


def path(folder: Path, layout: str) -> Path:
    return folder / f"{layout}.json"


def save(folder: Path, layout: Layout) -> Path:
    """Write the layout once (a layout id always means the same layout); returns its file."""
    dest = path(folder, layout.id)
    if not dest.is_file():
        folder.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_suffix(f".{os.getpid()}.tmp")   # two readers may store the same layout at once
        tmp.write_text(json.dumps(layout.to_json(), ensure_ascii=False, indent=1), encoding="utf-8")
        tmp.replace(dest)
    return dest


def load(folder: Path | None, layout: str) -> Layout | None:
    if folder is None:
        return None
    source = path(folder, layout)
    if not source.is_file():
        return None
    try:
        return Layout.from_json(json.loads(source.read_text(encoding="utf-8")))
    except (ValueError, KeyError, TypeError):
        return None


def transform(layout: Layout, corners: list[tuple[float, float]] | tuple[tuple[float, float], ...]
              ) -> tuple[float, float, float, float] | None:
    """(a, b, tx, ty) of the similarity mapping layout points to image pixels — x' = a·x − b·y + tx,
    y' = b·x + a·y + ty — fitted to the QR code's four corners; None without both sets of corners."""
    import numpy as np

    if len(layout.qr) != 4 or len(corners) != 4:
        return None
    rows, rhs = [], []
    for (x, y), (u, v) in zip(layout.qr, corners, strict=True):
        rows += [[x, -y, 1, 0], [y, x, 0, 1]]
        rhs += [u, v]
    solution, *_ = np.linalg.lstsq(np.array(rows), np.array(rhs), rcond=None)
    a, b, tx, ty = (float(s) for s in solution)
    return a, b, tx, ty


def to_image(t: tuple[float, float, float, float], x: float, y: float) -> tuple[float, float]:
    a, b, tx, ty = t
    return a * x - b * y + tx, b * x + a * y + ty


def to_layout(t: tuple[float, float, float, float], u: float, v: float) -> tuple[float, float]:
    a, b, tx, ty = t
    det = a * a + b * b
    u, v = u - tx, v - ty
    return (a * u + b * v) / det, (-b * u + a * v) / det
