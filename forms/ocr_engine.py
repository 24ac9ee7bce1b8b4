"""Our recognizer as OCRmyPDF's OCR engine (``ocrmypdf --plugin hudang.forms.ocr_engine``).

OCRmyPDF rasterises each page and hands the image to `HudangEngine.generate_pdf`, which writes the lines read as
a text-only PDF (forms/textlayer.py: invisible text in a glyphless font) that OCRmyPDF's sandwich renderer grafts
onto the page of the searchable PDF/A. The engine (``HUDANG_OCR_ENGINE``: rapidocr or tesseract,
see forms/ocr.py) reads the page once; the same lines, with their boxes and confidences and the QR codes found
on that image, are written to ``HUDANG_OCR_LINES/page-N.json`` for reading our forms field by field.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from ocrmypdf import hookimpl
from ocrmypdf.pluginspec import OcrEngine, OrientationConfidence

from hudang.forms.textlayer import text_pdf


class HudangEngine(OcrEngine):
    @staticmethod
    def version() -> str:
        return "1"

    @staticmethod
    def creator_tag(options: Any) -> str:
        return f"hudang OCR ({os.environ.get('HUDANG_OCR_ENGINE', 'rapidocr')})"

    def __str__(self) -> str:
        return f"hudang {os.environ.get('HUDANG_OCR_ENGINE', 'rapidocr')}"

    @staticmethod
    def languages(options: Any) -> set[str]:
        return {"chi_sim", "chi_tra"}

    @staticmethod
    def get_orientation(input_file: Path, options: Any) -> OrientationConfidence:
        return OrientationConfidence(angle=0, confidence=0.0)

    @staticmethod
    def get_deskew(input_file: Path, options: Any) -> float:
        return 0.0

    @staticmethod
    def supports_generate_ocr() -> bool:
        return False     # our lines come as a text-only PDF (generate_pdf), not through OCRmyPDF's fpdf2 renderer

    @staticmethod
    def generate_pdf(input_file: Path, output_pdf: Path, output_text: Path, options: Any) -> None:
        """Read the page image and write its text layer as a text-only PDF (forms/textlayer.py) for OCRmyPDF's
        sandwich renderer to graft onto the page, and its text for the sidecar."""
        page = read(input_file, _page_number(output_pdf))
        output_pdf.write_bytes(text_pdf([(line.text, line.box) for line in page.lines], page.width, page.height,
                                        page.dpi))
        output_text.write_text(page.text + "\n", encoding="utf-8")

    @staticmethod
    def generate_hocr(input_file: Path, output_hocr: Path, output_text: Path, options: Any) -> None:
        raise NotImplementedError("hudang's engine gives its text layer through generate_pdf (the sandwich renderer)")


def _page_number(output_pdf: Path) -> int:
    """OCRmyPDF names a page's files after its number (``000003_ocr_tess.pdf``)."""
    head = output_pdf.name.split("_", 1)[0]
    return int(head) if head.isdigit() else 1


def read(input_file: Path, page_number: int) -> Any:
    """One page image read by the recognizer of ``HUDANG_OCR_ENGINE`` (forms/ocr.py), with the QR codes found
    on it; its lines, boxes and confidences are also written to ``HUDANG_OCR_LINES/page-N.json``."""
    from PIL import Image

    from hudang.forms import ocr, qr

    with Image.open(input_file) as img:
        img.load()
        image = img
    dpi = image.info.get("dpi", (300, 300))
    dpi = float(dpi[0] if isinstance(dpi, tuple) else dpi)
    page = ocr.read_page(image, os.environ.get("HUDANG_OCR_ENGINE", "rapidocr"), dpi,
                         upright=bool(os.environ.get("HUDANG_OCR_UPRIGHT")))
    page.codes = [code.where() for code in qr.read(image.convert("L"))]
    out = os.environ.get("HUDANG_OCR_LINES")
    if out:
        Path(out, f"page-{page_number}.json").write_text(json.dumps(page.to_json(), ensure_ascii=False),
                                                         encoding="utf-8")
    return page


@hookimpl
def get_ocr_engine(options: Any) -> OcrEngine | None:
    return HudangEngine() if os.environ.get("HUDANG_OCR_ENGINE") else None
