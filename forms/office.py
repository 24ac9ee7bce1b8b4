"""The one LibreOffice runner: every soffice call of hudang (PDFs, legacy .doc/.xls at intake) goes through here.

Each call runs headless with its own profile (``-env:UserInstallation`` and ``HOME``), so two can run
side by side on two cores, in its own process group, killed with all its helpers after the data
home's one time-out (``[office] timeout_s``). DOCX → PDF runs in batches: starting soffice costs
about a second, and a batch of 50 documents pays it once.

Retry policy: a document hudang wrote itself (a letter, report or summary) that a call left without
its PDF is tried once more on its own — then LibreOffice, not the document, is the likely cause; a
received file that fails to convert is not retried (it is most likely damaged), so it reaches
quarantine without a second wait.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from queue import Queue

from hudang.errors import ToolMissing
from hudang.settings import OfficeSettings

INSTALL_HINT = ("请安装 LibreOffice（Debian/Ubuntu：sudo apt-get install libreoffice-writer-nogui "
                "libreoffice-calc-nogui，或运行 make setup）")
PDF = "pdf:writer_pdf_Export"
ANY_PDF = "pdf"   # the export filter of each document's own kind (Writer, Calc)


def find_soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def require_soffice(purpose: str) -> str:
    """The soffice to run, or `ToolMissing` saying what cannot be done and what to install."""
    soffice = find_soffice()
    if soffice is None:
        raise ToolMissing(f"找不到 LibreOffice，{purpose}：{INSTALL_HINT}")
    return soffice


@dataclass(frozen=True)
class Conversion:
    pdfs: dict[Path, Path | None]        # each DOCX → its PDF, or None when it failed twice
    calls: int                            # soffice processes started
    timeouts: int

    @property
    def failed(self) -> list[Path]:
        return [doc for doc, pdf in self.pdfs.items() if pdf is None]


@dataclass(frozen=True)
class Converted:
    """One received file's conversion: the copy, or why there is none."""

    path: Path | None
    timed_out: bool = False
    returncode: int | None = None


def _command(soffice: str, profile: Path, outdir: Path, docs: Sequence[Path], target: str = PDF,
             infilter: str | None = None) -> list[str]:
    return [soffice, "--headless", "--norestore", "--nologo", "--nolockcheck", "--nodefault",
            f"-env:UserInstallation={profile.as_uri()}", *([f"--infilter={infilter}"] if infilter else []),
            "--convert-to", target, "--outdir", str(outdir), *map(str, docs)]


def _run(command: list[str], profile: Path, timeout: float) -> int | None:
    """Run one soffice call in its own process group: its exit code, or None when it hung and was killed."""
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={**os.environ, "HOME": str(profile)}, start_new_session=True)
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        return None


def convert(source: Path, target: str, outdir: Path, *, timeout: float, infilter: str | None = None) -> Converted:
    """Convert one received file (``target`` 'docx' or 'xlsx') into ``outdir`` as ``<stem>.<target>``; no retry."""
    soffice = require_soffice("无法转换旧版 Office 文件")
    outdir.mkdir(parents=True, exist_ok=True)
    result = outdir / f"{source.stem}.{target}"
    result.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="hudang-office-") as profile:
        code = _run(_command(soffice, Path(profile), outdir, [source], target, infilter), Path(profile), timeout)
    made = code is not None and result.is_file() and result.stat().st_size > 0
    return Converted(result if made else None, timed_out=code is None, returncode=code)


def to_pdf(docs: Sequence[Path], outdir: Path, *, instances: int = OfficeSettings.pdf_instances,
           batch: int = OfficeSettings.pdf_batch, timeout: float = OfficeSettings.timeout,
           on_done: Callable[[Path, Path | None], None] | None = None, target: str = PDF) -> Conversion:
    """Convert ``docs`` (distinct file names) into ``outdir``; each gets ``<stem>.pdf`` or None.

    A document that failed in a batch (time-out or no output) is retried once in a batch of its own.
    ``target`` ``"pdf"`` lets LibreOffice pick the export filter per document, so one batch may mix
    Writer and Calc files (the binder's records); the default is Writer's."""
    soffice = require_soffice("无法生成 PDF")
    outdir.mkdir(parents=True, exist_ok=True)
    results: dict[Path, Path | None] = {}
    counts = {"calls": 0, "timeouts": 0}
    lock = threading.Lock()
    with tempfile.TemporaryDirectory(prefix="hudang-office-") as scratch:
        profiles: Queue[Path] = Queue()
        for i in range(max(1, instances)):
            profiles.put(Path(scratch) / f"profile-{i}")

        def convert(chunk: Sequence[Path], final: bool) -> list[Path]:
            profile = profiles.get()
            try:
                for doc in chunk:
                    (outdir / f"{doc.stem}.pdf").unlink(missing_ok=True)
                finished = _run(_command(soffice, profile, outdir, chunk, target), profile, timeout) is not None
            finally:
                profiles.put(profile)
            failed = []
            with lock:
                counts["calls"] += 1
                counts["timeouts"] += 0 if finished else 1
            for doc in chunk:
                pdf = outdir / f"{doc.stem}.pdf"
                ok = pdf.is_file() and pdf.stat().st_size > 0 and (finished or _complete(pdf))
                if ok or final:
                    results[doc] = pdf if ok else None
                    if on_done:
                        on_done(doc, results[doc])
                else:
                    failed.append(doc)
            return failed

        # Every instance gets the same work: the fewest calls of at most `batch` documents, rounded up to a
        # multiple of the instances, equal in size — 60 documents on two instances are two calls of 30, not 50
        # and 10; 180 are four calls of 45, not 50 + 50 on one instance while the other does 50 + 30.
        workers = max(1, instances)
        calls = -(-max(1, -(-len(docs) // max(1, batch))) // workers) * workers
        size = max(1, -(-len(docs) // calls))
        chunks = [list(docs[i:i + size]) for i in range(0, len(docs), size)]
        with ThreadPoolExecutor(max_workers=max(1, instances)) as pool:
            retry = [doc for failed in pool.map(lambda c: convert(c, False), chunks) for doc in failed]
            list(pool.map(lambda d: convert([d], True), retry))
    return Conversion({doc: results.get(doc) for doc in docs}, counts["calls"], counts["timeouts"])


def pdf_beside(docx: Path, outdir: Path, *, timeout: float) -> tuple[Path | None, list[str]]:
    """One document hudang wrote (a blank form, a 欠费证明, a 户档摘要) as a PDF in ``outdir`` when LibreOffice can
    make it; without LibreOffice, or when it fails, the DOCX stays with a warning — the office can print that."""
    try:
        pdf = to_pdf([docx], outdir, instances=1, timeout=timeout).pdfs.get(docx)
    except ToolMissing as exc:
        return None, [f"{exc.message}；本次只生成了 DOCX"]
    return pdf, ([] if pdf else ["LibreOffice 未能生成 PDF，已保留 DOCX"])


def _complete(pdf: Path) -> bool:
    """A PDF written before its call was killed is kept only when it ends like a whole PDF."""
    with open(pdf, "rb") as fh:
        fh.seek(max(0, pdf.stat().st_size - 1024))
        return b"%%EOF" in fh.read()
