"""Make scans the way an office does: print a blank form, type or scribble into its boxes, scan it crooked."""

from __future__ import annotations

import random
from pathlib import Path

import pypdfium2 as pdfium
from PIL import Image, ImageDraw, ImageFont

FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
SC, TC = 2, 3     # face indexes of Simplified and Traditional Chinese in the Noto CJK collection
LABEL_TO_BOX_MM = 29.0


def _font(px: int, face: int = SC) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(FONT, px, index=face)


def fill_page(pdf: Path, values: dict[str, str], *, page: int = 0, dpi: int = 200, scribble: str | None = None,
              rotate: float = 0.0, noise: float = 0.0, face: int = SC, seed: int = 1,
              ticks: tuple[str, ...] = ()) -> Image.Image:
    """Render one page of a printed form and write ``values`` into the boxes right of their labels; tick the
    printed □ of each choice in ``ticks`` (□重要)."""
    doc = pdfium.PdfDocument(str(pdf))
    pg = doc[page]
    scale = dpi / 72
    image = pg.render(scale=scale).to_pil().convert("L")
    _, height = pg.get_size()
    text = pg.get_textpage()
    draw = ImageDraw.Draw(image)
    font = _font(int(11 * scale), face)

    def box_of(label: str) -> tuple[float, float] | None:
        hit = text.search(label, match_whole_word=False).get_next()
        if not hit:
            return None
        index, _ = hit
        left, _, _, top = text.get_charbox(index)
        return (left + LABEL_TO_BOX_MM * 72 / 25.4) * scale, (height - top) * scale - 3

    for label, value in values.items():
        where = box_of(label)
        assert where, f"label {label} not on the printed form"
        draw.text(where, value, font=font, fill=0)
    for choice in ticks:
        hit = text.search(f"□{choice}", match_whole_word=False).get_next()
        assert hit, f"no □{choice} on the printed form"
        left, bottom, right, top = (v * scale for v in text.get_charbox(hit[0]))
        top, bottom = height * scale - top, height * scale - bottom
        draw.line([(left + 1, (top + bottom) / 2), ((left + right) / 2, bottom - 1), (right + 10, top - 8)],
                  fill=0, width=4)
    if scribble:
        where = box_of(scribble)
        assert where
        rnd = random.Random(seed)
        x, y = where
        draw.line([(x + i * 7, y + 14 + rnd.randint(-9, 9)) for i in range(45)], fill=0, width=3)
    doc.close()
    if rotate:
        image = image.rotate(rotate, resample=Image.Resampling.BICUBIC, fillcolor=255)
    if noise:
        image = Image.blend(image, Image.effect_noise(image.size, 40).convert("L"), noise)
    image.info["dpi"] = (dpi, dpi)
    return image


def render(pdf: Path, *, page: int = 0, dpi: int = 150) -> Image.Image:
    doc = pdfium.PdfDocument(str(pdf))
    image = doc[page].render(scale=dpi / 72).to_pil().convert("L")
    doc.close()
    image.info["dpi"] = (dpi, dpi)
    return image


def typed_page(lines: list[str], *, dpi: int = 200, face: int = SC) -> Image.Image:
    """A page with typed lines and no QR code (a form from another system, a letter)."""
    width, height = int(8.27 * dpi), int(11.69 * dpi)
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    font = _font(int(12 * dpi / 72), face)
    for i, line in enumerate(lines):
        draw.text((int(0.9 * dpi), int((1.0 + i * 0.45) * dpi)), line, font=font, fill=0)
    image.info["dpi"] = (dpi, dpi)
    return image


def save_tiff(pages: list[Image.Image], dest: Path, dpi: int = 200) -> Path:
    pages[0].save(dest, save_all=True, append_images=pages[1:], compression="tiff_lzw", dpi=(dpi, dpi))
    return dest


def main(argv: list[str]) -> None:
    """``python samples/scanning.py FORM.pdf OUT.png 标签=值 … [--scribble 标签] [--tick 选项 …]``: a filled,
    crooked scan (a scribble stands for handwriting; each --tick ticks the printed □ of that choice)."""
    import sys

    args = list(argv)
    scribble = None
    ticks: list[str] = []
    while "--tick" in args:
        i = args.index("--tick")
        ticks.append(args[i + 1])
        del args[i:i + 2]
    if "--scribble" in args:
        i = args.index("--scribble")
        scribble = args[i + 1]
        del args[i:i + 2]
    pdf, out, *pairs = args
    values = dict(pair.split("=", 1) for pair in pairs)
    image = fill_page(Path(pdf), values, scribble=scribble, rotate=0.8, noise=0.05, dpi=200, ticks=tuple(ticks))
    image.save(out, dpi=(200, 200))
    print(out, file=sys.stderr)


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
