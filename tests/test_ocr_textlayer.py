"""The searchable PDF's invisible text layer (forms/textlayer.py, grafted by OCRmyPDF's sandwich renderer): what a
person finds with search or copies out of the PDF/A, page by page and in reading order."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pikepdf
import pytest
from pikepdf import pdfa
from scanning import typed_page

from hudang.forms import ocr
from hudang.forms.textlayer import text_pdf


def _pdftotext(pdf: Path, *args: str) -> str:
    return subprocess.run(["pdftotext", *args, str(pdf), "-"], capture_output=True, text=True, check=True).stdout


def test_each_line_is_found_where_it_stands_on_the_page(tmp_path: Path) -> None:
    lines = [("业主意见", (100.0, 100.0, 500.0, 160.0)),
             ("楼道里的消防通道被杂物堵塞，请尽快清理。", (100.0, 200.0, 1500.0, 260.0)),
             ("签名：毛宇", (100.0, 300.0, 600.0, 360.0)),
             ("𠀾 TS-2026-0042", (900.0, 300.0, 1500.0, 360.0))]    # beyond the BMP, Latin, a space
    pdf = tmp_path / "text.pdf"
    pdf.write_bytes(text_pdf(lines, 1654, 2339, 200))
    assert _pdftotext(pdf, "-layout").split() == ["业主意见", "楼道里的消防通道被杂物堵塞，请尽快清理。", "签名：毛宇",
                                                  "𠀾", "TS-2026-0042"]
    words = re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]+)</word>',
                       _pdftotext(pdf, "-bbox"))
    first = next(w for w in words if w[4] == "业主意见")
    # 100–500 px across and 100–160 px down at 200 dpi: 36–180 pt by 36–57.6 pt (a selection lands on the words)
    assert [round(float(v), 1) for v in first[:4]] == [36.0, 36.0, 180.0, 57.6]
    with pikepdf.open(pdf) as doc:
        assert [round(float(v), 2) for v in doc.pages[0].mediabox] == [0, 0, 595.44, 842.04]      # the image's size in points


@pytest.mark.slow
@pytest.mark.xdist_group("ocr_worker")
def test_a_two_page_scan_is_a_pdfa_whose_pages_read_in_order(tmp_path: Path) -> None:
    import img2pdf

    pages = [["停水通知", "因管道改造，明日九点至十二点停水"], ["投诉处理单", "请物业尽快清理楼道杂物"]]
    pngs = []
    for number, lines in enumerate(pages, 1):
        png = tmp_path / f"page-{number}.png"
        typed_page(lines).save(png, dpi=(200, 200))
        pngs.append(str(png))
    scan = tmp_path / "scan.pdf"
    scan.write_bytes(img2pdf.convert(pngs))
    before = scan.read_bytes()
    result = ocr.ocr(scan, tmp_path / "ocr", upright=True)
    assert scan.read_bytes() == before                               # the original untouched
    assert result.pdfa and not result.note
    assert [p.text.replace(" ", "") for p in result.pages] == ["\n".join(lines) for lines in pages]
    found = [_pdftotext(result.pdf, "-f", str(n), "-l", str(n)).split() for n in (1, 2)]
    assert found == pages                                           # each page's lines on it, top to bottom
    with pikepdf.open(result.pdf) as doc:
        assert not pdfa.check(doc, "2b").findings                    # PDF/A-2b as OCRmyPDF declares it
        assert doc.open_metadata().pdfa_status == "2B"
    # the text layer costs a few KB a page (no CJK font program embedded: the glyphless font is < 1 KB)
    assert result.pdf.stat().st_size - scan.stat().st_size < 30_000
