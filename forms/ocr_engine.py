"""Our recognizer as OCRmyPDF's OCR engine (``ocrmypdf --plugin hudang.forms.ocr_engine``).

OCRmyPDF rasterises each page, hands the image to `HudangEngine.generate_ocr` and renders the lines returned
as the invisible text layer of the searchable PDF/A. The engine (``HUDANG_OCR_ENGINE``: rapidocr or tesseract,
see forms/ocr.py) reads the page once; the same lines, with their boxes and confidences and the QR codes found
on that image, are written to ``HUDANG_OCR_LINES/page-N.json`` for reading our forms field by field.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from ocrmypdf import hookimpl
from ocrmypdf.hocrtransform import BoundingBox, OcrClass, OcrElement
from ocrmypdf.pluginspec import OcrEngine, OrientationConfidence


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
        return True

    @staticmethod
    def generate_ocr(input_file: Path, options: Any, page_number: int = 0) -> tuple[OcrElement, str]:
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
            Path(out, f"page-{page_number + 1}.json").write_text(json.dumps(page.to_json(), ensure_ascii=False),
                                                                 encoding="utf-8")
        root = OcrElement(ocr_class=OcrClass.PAGE, bbox=BoundingBox(0, 0, image.width, image.height), dpi=dpi,
                          page_number=page_number)
        for line in page.lines:
            left, top, right, bottom = (max(0.0, v) for v in line.box)
            box = BoundingBox(left, top, max(left + 1, min(right, image.width)),
                              max(top + 1, min(bottom, image.height)))
            word = OcrElement(ocr_class=OcrClass.WORD, bbox=box, text=line.text, confidence=line.confidence)
            root.children.append(OcrElement(ocr_class=OcrClass.LINE, bbox=box, children=[word]))
        return root, page.text + "\n"

    @staticmethod
    def generate_hocr(input_file: Path, output_hocr: Path, output_text: Path, options: Any) -> None:
        raise NotImplementedError("hudang's engine gives its lines through generate_ocr (the fpdf2 renderer)")

    @staticmethod
    def generate_pdf(input_file: Path, output_pdf: Path, output_text: Path, options: Any) -> None:
        raise NotImplementedError("hudang's engine gives its lines through generate_ocr (the fpdf2 renderer)")


@hookimpl
def get_ocr_engine(options: Any) -> OcrEngine | None:
    return HudangEngine() if os.environ.get("HUDANG_OCR_ENGINE") else None
