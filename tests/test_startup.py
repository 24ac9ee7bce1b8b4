"""Start-up: the command line loads no heavy library before a command needs it, and its help is Chinese."""

from __future__ import annotations

import subprocess
import sys

from conftest import HUDANG

HEAVY = ("matplotlib", "docx", "docxtpl", "openpyxl", "whoosh", "rapidocr", "rapidocr_onnxruntime", "onnxruntime",
         "pytesseract", "ocrmypdf", "pypdf", "PIL", "qrcode", "zxingcpp", "watchdog", "tqdm", "hudang.forms.office",
         "hudang.forms.ocr", "hudang.forms.readers.legacy")


def _loaded(code: str) -> set[str]:
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    return set(eval(proc.stdout))  # a printed sorted list of module names


def test_importing_the_command_line_loads_no_heavy_library() -> None:
    loaded = _loaded("import hudang.pipeline.cli.main, sys; print(sorted(sys.modules))")
    assert "hudang.pipeline.cli.main" in loaded
    assert sorted(m for m in HEAVY if m in loaded) == []


def test_the_help_speaks_chinese_everywhere() -> None:
    top = subprocess.run([*HUDANG, "--help"], capture_output=True, text=True, timeout=120, check=True).stdout
    assert top.startswith("用法：hudang") and "选项：" in top and "命令：" in top
    assert "显示本帮助并退出" in top and "显示版本号并退出" in top
    sub = subprocess.run([*HUDANG, "search", "-h"], capture_output=True, text=True, timeout=120, check=True).stdout
    assert "[默认：20" in sub and "用法：" in sub
    for english in ("Usage:", "Options:", "Commands:", "Show this message and exit.", "Show the version and exit."):
        assert english not in top + sub
