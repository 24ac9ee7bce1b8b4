"""DOCX → PDF in batches through the real LibreOffice: few processes, and a hung one killed and retried."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import pytest
from docx import Document
from pypdf import PdfReader

from hudang.errors import ToolMissing
from hudang.forms.office import to_pdf

pytestmark = pytest.mark.slow


def _docs(folder: Path, n: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for i in range(n):
        doc = Document()
        doc.add_paragraph(f"第{i + 1}封 催缴函 测试")
        path = folder / f"letter-{i:03d}.docx"
        doc.save(str(path))
        out.append(path)
    return out


def test_batches_use_one_process_per_batch(tmp_path: Path) -> None:
    docs = _docs(tmp_path / "in", 6)
    conversion = to_pdf(docs, tmp_path / "out", instances=2, batch=3, timeout=120)
    assert conversion.calls == 2 and conversion.timeouts == 0 and conversion.failed == []
    for doc in docs:
        pdf = conversion.pdfs[doc]
        assert pdf is not None and pdf.name == f"{doc.stem}.pdf"
        assert f"第{int(doc.stem[-3:]) + 1}封" in PdfReader(str(pdf)).pages[0].extract_text().replace(" ", "")


def test_a_hung_instance_is_killed_and_its_documents_retried(tmp_path: Path) -> None:
    real = shutil.which("soffice")
    assert real, "LibreOffice must be installed (make setup)"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    marker = tmp_path / "hung-once"
    wrapper = bin_dir / "soffice"
    # The first call hangs (like a LibreOffice stuck on a dialog); later calls are the real thing.
    wrapper.write_text(f"#!/bin/sh\nif [ ! -e {marker} ]; then touch {marker}; sleep 60; fi\nexec {real} \"$@\"\n")
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IEXEC)
    docs = _docs(tmp_path / "in", 3)
    old_path = os.environ["PATH"]
    os.environ["PATH"] = f"{bin_dir}{os.pathsep}{old_path}"
    try:
        conversion = to_pdf(docs, tmp_path / "out", instances=1, batch=3, timeout=15)
    finally:
        os.environ["PATH"] = old_path
    assert conversion.timeouts == 1
    assert conversion.failed == [] and all(conversion.pdfs[d] for d in docs)
    assert conversion.calls == 1 + len(docs)     # the hung batch, then each document on its own


def test_missing_libreoffice_names_what_to_install(tmp_path: Path) -> None:
    old_path = os.environ["PATH"]
    os.environ["PATH"] = str(tmp_path)
    try:
        with pytest.raises(ToolMissing, match="libreoffice-writer-nogui"):
            to_pdf(_docs(tmp_path / "in", 1), tmp_path / "out")
    finally:
        os.environ["PATH"] = old_path
