"""The long-lived OCRmyPDF worker (forms/ocr.py OcrWorker): one process reads this process's documents, and it is
replaced when what a new process would see has changed, when it died, and when a document runs over the timeout."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from scanning import typed_page

from hudang.errors import UnreadableFile
from hudang.forms import ocr

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("ocr_worker")]

LINES = ["停水通知", "因管道改造，明日九点至十二点停水"]


@pytest.fixture
def page(tmp_path: Path) -> Path:
    import img2pdf

    image = typed_page(LINES)
    png = tmp_path / "page.png"
    image.save(png, dpi=(200, 200))
    pdf = tmp_path / "page.pdf"
    pdf.write_bytes(img2pdf.convert(str(png)))
    return pdf


@pytest.fixture(autouse=True)
def fresh_worker() -> object:
    ocr._WORKER.close()
    yield
    ocr._WORKER.close()


def _searchable(pdf: Path) -> str:
    return subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout


def test_two_documents_are_read_by_one_worker_and_each_is_a_searchable_pdfa(page: Path, tmp_path: Path) -> None:
    first = ocr.ocr(page, tmp_path / "a", upright=True)
    worker = ocr._WORKER._proc
    assert worker is not None and worker.poll() is None
    second = ocr.ocr(page, tmp_path / "b", upright=True)
    assert ocr._WORKER._proc is worker                  # the same process, models loaded once
    for result in (first, second):
        assert result.pdfa and result.engine == "rapidocr"
        assert "明日九点至十二点停水" in result.text
        assert "十二点停水" in _searchable(result.pdf).replace(" ", "")
        assert b"pdfaid" in result.pdf.read_bytes()     # PDF/A metadata


def test_a_changed_environment_gets_a_fresh_worker(page: Path, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    assert ocr.ocr(page, tmp_path / "a", upright=True).engine == "rapidocr"
    monkeypatch.setenv("HUDANG_NO_RAPIDOCR", "1")   # as a new process without the package would see it
    result = ocr.ocr(page, tmp_path / "b", upright=True)
    assert result.engine == "tesseract" and "Tesseract" in result.note
    assert "停水" in result.text


def test_a_document_over_the_timeout_kills_the_worker_and_the_next_one_is_read(page: Path, tmp_path: Path) -> None:
    with pytest.raises(UnreadableFile, match="文字识别超时"):
        ocr.ocr(page, tmp_path / "a", upright=True, timeout=0.05)
    assert ocr._WORKER._proc is None
    # A worker that died between documents (killed, out of memory) is replaced too.
    after = ocr.ocr(page, tmp_path / "b", upright=True)
    assert "停水" in after.text and after.pdfa and not after.note
    worker = ocr._WORKER._proc
    assert worker is not None
    worker.kill()
    worker.wait()
    again = ocr.ocr(page, tmp_path / "c", upright=True)
    assert "停水" in again.text and again.pdfa and not again.note   # not "PDF/A 生成失败" for a worker's death
    assert ocr._WORKER._proc is not None and ocr._WORKER._proc.pid != worker.pid
    assert os.getpid() == ocr._WORKER._pid
