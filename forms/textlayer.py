"""The invisible text layer of a scanned page, written as a tiny text-only PDF (OCRmyPDF's sandwich renderer grafts
it onto the page image; forms/ocr_engine.py).

OCRmyPDF's own renderer (fpdf2) loads and subsets a CJK font for every document — about 0.9 CPU s of a form page
(bench/README.md) — although the text is never drawn. Here the text is written in render mode 3 (invisible) with a
glyphless font, the way Tesseract's text-only PDF does it, so nothing depends on the system's fonts:

- one Type0 font, ``/Identity-H`` encoding (two-byte codes); the page's distinct characters are numbered 1…n and
  those numbers are the character codes (CIDs);
- a ``/ToUnicode`` CMap gives each code its character back (UTF-16BE, so characters beyond the BMP too): this is
  what search and ``pdftotext`` read;
- a CIDToGIDMap sends every code to glyph 1 of an embedded TrueType font whose glyphs are empty and 1 em wide
  (never .notdef, which PDF/A forbids showing; widths in the font and in ``/DW`` agree);
- each recognised line is one ``Tj`` whose text matrix stretches its characters over the line's box on the image.
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Iterable
from functools import lru_cache

FONT_NAME = b"HudangGlyphless"
UNITS = 1000          # font units per em; every glyph advances one em, /DW says the same
ASCENT, DESCENT = 800, -200


@lru_cache(maxsize=1)
def glyphless_font() -> bytes:
    """A TrueType font of two empty glyphs (.notdef and one to show), each one em wide."""
    from fontTools.fontBuilder import FontBuilder
    from fontTools.pens.ttGlyphPen import TTGlyphPen

    fb = FontBuilder(UNITS, isTTF=True)
    order = [".notdef", "blank"]
    fb.setupGlyphOrder(order)
    fb.setupCharacterMap({0x20: "blank"})
    empty = TTGlyphPen(None).glyph()
    fb.setupGlyf({name: empty for name in order})
    fb.setupHorizontalMetrics({name: (UNITS, 0) for name in order})
    fb.setupHorizontalHeader(ascent=ASCENT, descent=DESCENT)
    fb.setupNameTable({"familyName": FONT_NAME.decode(), "styleName": "Regular"})
    fb.setupOS2(sTypoAscender=ASCENT, sTypoDescender=DESCENT, usWinAscent=ASCENT, usWinDescent=-DESCENT)
    fb.setupPost()
    out = io.BytesIO()
    fb.save(out)
    return out.getvalue()


def _utf16(ch: str) -> str:
    return ch.encode("utf-16-be").hex().upper()


def _to_unicode(chars: list[str]) -> bytes:
    """The CMap from codes 1…n back to the characters (bfchar entries, at most 100 a block as the spec wants)."""
    body = [
        "/CIDInit /ProcSet findresource begin", "12 dict begin", "begincmap",
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
        "/CMapName /Adobe-Identity-UCS def", "/CMapType 2 def",
        "1 begincodespacerange", "<0000> <FFFF>", "endcodespacerange",
    ]
    for start in range(0, len(chars), 100):
        block = chars[start:start + 100]
        body.append(f"{len(block)} beginbfchar")
        body += [f"<{start + i + 1:04X}> <{_utf16(ch)}>" for i, ch in enumerate(block)]
        body.append("endbfchar")
    body += ["endcmap", "CMapName currentdict /CMap defineresource pop", "end", "end"]
    return "\n".join(body).encode("ascii")


def _num(value: float) -> str:
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def text_pdf(lines: Iterable[tuple[str, tuple[float, float, float, float]]], width: int, height: int,
             dpi: float) -> bytes:
    """A one-page PDF the size of a ``width`` × ``height`` pixel image at ``dpi``, holding only invisible text:
    each (text, (left, top, right, bottom) in pixels) stretched over its box. Codes beyond 65,535 distinct
    characters on one page cannot happen (a page holds a few thousand)."""
    scale = 72.0 / (dpi or 72.0)
    codes: dict[str, int] = {}
    ops = ["BT 3 Tr /F1 1 Tf"]
    for text, (left, top, right, bottom) in lines:
        chars = [ch for ch in text if ch not in "\r\n\t\x00"]
        if not chars or right <= left or bottom <= top:
            continue
        size = (bottom - top) * scale
        advance = (right - left) * scale / len(chars)
        baseline = (height - bottom) * scale + size * (-DESCENT / UNITS)
        shown = "".join(f"{codes.setdefault(ch, len(codes) + 1):04X}" for ch in chars)
        ops.append(f"{_num(advance)} 0 0 {_num(size)} {_num(left * scale)} {_num(baseline)} Tm <{shown}> Tj")
    ops.append("ET")
    chars = list(codes)
    font = glyphless_font()
    cid_to_gid = b"\x00\x00" + b"\x00\x01" * len(chars)      # code 0 unused; every code shows glyph 1
    content = zlib.compress("\n".join(ops).encode("ascii"))
    objects: list[bytes] = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %s %s] /Resources << /Font << /F1 4 0 R >> >> "
        b"/Contents 10 0 R >>" % (_num(width * scale).encode(), _num(height * scale).encode()),
        b"<< /Type /Font /Subtype /Type0 /BaseFont /%s /Encoding /Identity-H /DescendantFonts [5 0 R] "
        b"/ToUnicode 7 0 R >>" % FONT_NAME,
        b"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /%s /CIDSystemInfo << /Registry (Adobe) "
        b"/Ordering (Identity) /Supplement 0 >> /FontDescriptor 8 0 R /DW %d /CIDToGIDMap 6 0 R >>"
        % (FONT_NAME, UNITS),
        _stream(zlib.compress(cid_to_gid), b"/Filter /FlateDecode"),
        _stream(zlib.compress(_to_unicode(chars)), b"/Filter /FlateDecode"),
        b"<< /Type /FontDescriptor /FontName /%s /Flags 5 /FontBBox [0 %d %d %d] /ItalicAngle 0 /Ascent %d "
        b"/Descent %d /CapHeight %d /StemV 80 /FontFile2 9 0 R >>"
        % (FONT_NAME, DESCENT, UNITS, ASCENT, ASCENT, DESCENT, ASCENT),
        _stream(zlib.compress(font), b"/Filter /FlateDecode /Length1 %d" % len(font)),
        _stream(content, b"/Filter /FlateDecode"),
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n%s\nendobj\n" % (number, body))
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    out.write(b"".join(b"%010d 00000 n \n" % offset for offset in offsets))
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def _stream(data: bytes, extra: bytes) -> bytes:
    return b"<< /Length %d %s >>\nstream\n%s\nendstream" % (len(data), extra, data)
