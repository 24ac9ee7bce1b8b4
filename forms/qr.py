"""QR codes on printed forms and separator sheets: what they say, drawing them, finding them on a scan.

A form's code reads ``HUDANG1|F=complaint|V=1|L=3f2a9c|H=金第花园/3-2-1201`` (H only when printed for a household;
L, the layout id of the printed blank — forms/layout.py — on blanks printed since layouts were stored);
a separator sheet's reads ``HUDANG1|SEP``. Short, plain text, so any phone scanner shows it too.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

PREFIX = "HUDANG1"
SEPARATOR = f"{PREFIX}|SEP"


@dataclass(frozen=True)
class Code:
    form: str | None = None          # form id
    version: int | None = None       # the form definition's version when printed
    household: str | None = None     # ESTATE/KEY
    separator: bool = False
    orientation: int = 0             # where found: quarter turns (0/90/180/270) the page lies turned clockwise
    tilt: int = 0                    # and the whole degrees it is skewed beyond that (a crooked scan)
    layout: str | None = None        # the layout id of the printed blank (L=), None on blanks printed before it
    # where found on the image read: corners top-left, top-right, bottom-right, bottom-left of the code as
    # printed (so turned with the page), in pixels
    corners: tuple[tuple[float, float], ...] = field(default=(), compare=False)

    def where(self) -> dict[str, Any]:
        return asdict(self)


def payload(form: str, version: int, household: str | None = None, layout: str | None = None) -> str:
    return (f"{PREFIX}|F={form}|V={version}" + (f"|L={layout}" if layout else "")
            + (f"|H={household}" if household else ""))


def parse(text: str) -> Code | None:
    """Our codes only; anything else (a parcel label, a WeChat code) is None."""
    parts = text.strip().split("|")
    if not parts or parts[0] != PREFIX:
        return None
    if parts[1:] == ["SEP"]:
        return Code(separator=True)
    fields = dict(p.split("=", 1) for p in parts[1:] if "=" in p)
    if "F" not in fields:
        return None
    version = int(fields["V"]) if fields.get("V", "").isdigit() else None
    return Code(form=fields["F"], version=version, household=fields.get("H") or None, layout=fields.get("L") or None)


def image(text: str, box: int = 8) -> Any:
    """A PIL image of the code, error correction M (survives a smudge or a staple hole)."""
    import qrcode
    from qrcode.constants import ERROR_CORRECT_M

    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=box, border=2)
    qr.add_data(text.encode("utf-8"))
    qr.make(fit=True)
    return qr.make_image(fill_color="black", back_color="white").get_image()


def read(page: Any) -> list[Code]:
    """Our codes on one page image (PIL), at any rotation. A page where none is found is looked at again after
    a 3×3 median filter: scanner speckle in the code's modules hides its finder patterns from the decoder (OCR
    bench: one noisy 200 dpi page in 40 was read by its labels, its code missed at 150 dpi; the filtered copy
    reads it). A page without a code pays the filter (tens of milliseconds)."""
    found = _read(page)
    if not found:
        from PIL import ImageFilter

        found = _read(page.convert("L").filter(ImageFilter.MedianFilter(3)))
    return found


def _read(page: Any) -> list[Code]:
    from dataclasses import replace

    import zxingcpp

    found = []
    for result in zxingcpp.read_barcodes(page, formats=zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode),
                                         try_rotate=True, try_downscale=True):
        code = parse(result.text)
        if code is not None:
            quarter = round(result.orientation / 90) * 90
            p = result.position
            corners = tuple((float(pt.x), float(pt.y)) for pt in (p.top_left, p.top_right, p.bottom_right,
                                                                   p.bottom_left))
            found.append(replace(code, orientation=quarter % 360, tilt=result.orientation - quarter,
                                 corners=corners))
    return found
