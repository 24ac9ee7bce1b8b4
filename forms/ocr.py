"""OCR of scanned pages: OCRmyPDF with Tesseract chi_sim+chi_tra, a searchable PDF/A beside the original.

Facts measured on this stack (OCRmyPDF 17, Tesseract 5.3): ``eng`` in the language list turns Chinese
names into Latin letters, so it is left out; ``--sidecar`` gives clean text where pypdf's text of the OCR
layer has NULs between characters; chi_tra answers some Simplified print in Traditional characters, so the
text is normalised to Simplified (the raw text is kept too). One page at a time per process
(``OMP_THREAD_LIMIT=1``, ``--jobs 1``): the pool gives one job per core.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from hudang.errors import ToolMissing, UnreadableFile
from hudang.forms.values import to_halfwidth, to_simplified

LANGS = "chi_sim+chi_tra"
INSTALL = ("请安装 Tesseract 及中文语言包（Debian/Ubuntu：sudo apt-get install tesseract-ocr tesseract-ocr-chi-sim "
           "tesseract-ocr-chi-tra ghostscript，或运行 make setup）")
_CJK = r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]"
_GAP = re.compile(rf"(?<={_CJK})[ \t]+(?={_CJK})")


@dataclass(frozen=True)
class OcrResult:
    pdf: Path              # searchable PDF (PDF/A when it could be made)
    text: str              # normalised: Simplified, half-width, no spaces between Chinese characters
    raw: str               # as Tesseract gave it
    pdfa: bool
    note: str = ""


@lru_cache(maxsize=1)
def _languages(tesseract: str) -> frozenset[str]:
    out = subprocess.run([tesseract, "--list-langs"], capture_output=True, text=True, timeout=30)
    return frozenset(line.strip() for line in out.stdout.splitlines()[1:])


def check_tools() -> None:
    """Raise `ToolMissing` naming what to install when OCR cannot run here."""
    tesseract = shutil.which("tesseract")
    if tesseract is None:
        raise ToolMissing(f"找不到 Tesseract，无法识别扫描件文字：{INSTALL}")
    missing = {"chi_sim", "chi_tra"} - _languages(tesseract)
    if missing:
        raise ToolMissing(f"Tesseract 缺少语言包 {'、'.join(sorted(missing))}：{INSTALL}")
    if shutil.which("gs") is None:
        raise ToolMissing(f"找不到 Ghostscript（OCRmyPDF 需要它）：{INSTALL}")


def normalise(text: str) -> str:
    """What search and field reading use: Simplified, half-width, runs of Chinese without OCR's spaces."""
    text = to_simplified(to_halfwidth(text.replace("\x00", "")))
    return "\n".join(_GAP.sub("", line).strip() for line in text.splitlines() if line.strip())


def ocrmypdf_command(src: Path, dest: Path, sidecar: Path, *, output_type: str = "pdfa", dpi: int | None = None,
                     rotate_pages: bool = False, deskew: bool = True) -> list[str]:
    """The OCRmyPDF command `ocr()` runs (the OCR bench times it and its variants)."""
    # sandwich: the text layer without loading a CJK font (1 s of a 5 s page, same text, measured).
    command = [sys.executable, "-m", "ocrmypdf", "-l", LANGS, "--jobs", "1", "--pdf-renderer", "sandwich",
               "--output-type", output_type, "--sidecar", str(sidecar), "--optimize", "1", "-q"]
    if rotate_pages:
        command.append("--rotate-pages")
    if deskew:
        command.append("--deskew")
    if dpi:
        command += ["--image-dpi", str(dpi)]
    return [*command, str(src), str(dest)]


def _ocrmypdf(src: Path, dest: Path, sidecar: Path, output_type: str, dpi: int | None, timeout: float,
              rotate_pages: bool, deskew: bool) -> subprocess.CompletedProcess[str]:
    command = ocrmypdf_command(src, dest, sidecar, output_type=output_type, dpi=dpi, rotate_pages=rotate_pages,
                               deskew=deskew)
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env)


def ocr(src: Path, workdir: Path, *, dpi: int | None = None, timeout: float = 600,
        rotate_pages: bool = False, deskew: bool = True) -> OcrResult:
    """OCR ``src`` (a PDF of page images) into ``workdir``; PDF/A first, a plain PDF when PDF/A fails.

    Tesseract's orientation pass (``rotate_pages``) is off: it costs a second a page and is unsure for Chinese;
    pages are turned by their QR code, and one that reads badly is read again turned over (forms/scans.py). ``deskew=False`` when the page is known to be straight: a 1.2°
    scan went from 0.5% to 9.6% CER without deskewing, but deskewing a straight page by 0.05° once lost two
    lines (measured by the OCR bench)."""
    check_tools()
    workdir.mkdir(parents=True, exist_ok=True)
    dest, sidecar = workdir / "ocr.pdf", workdir / "ocr.txt"
    note = ""
    try:
        done = _ocrmypdf(src, dest, sidecar, "pdfa", dpi, timeout, rotate_pages, deskew)
        if done.returncode != 0 or not dest.is_file():
            note = f"PDF/A 生成失败（OCRmyPDF 退出码 {done.returncode}），已改为普通 PDF"
            done = _ocrmypdf(src, dest, sidecar, "pdf", dpi, timeout, rotate_pages, deskew)
    except subprocess.TimeoutExpired as exc:
        raise UnreadableFile(f"文字识别超时（超过 {timeout:g} 秒）", code="ocr_failed", path=str(src)) from exc
    if done.returncode != 0 or not dest.is_file():
        tail = (done.stderr or "").strip().splitlines()[-1:] or [""]
        raise UnreadableFile(f"文字识别失败（OCRmyPDF 退出码 {done.returncode}）：{tail[0][:200]}",
                             code="ocr_failed", path=str(src))
    raw = sidecar.read_text(encoding="utf-8", errors="replace") if sidecar.is_file() else ""
    return OcrResult(dest, normalise(raw), raw, pdfa=not note, note=note)
