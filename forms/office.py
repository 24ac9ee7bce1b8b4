"""DOCX → PDF through LibreOffice, in batches: a few long-lived conversions instead of one per document.

Starting soffice costs about a second; a batch of 50 documents pays it once. Each instance has its own
profile (``-env:UserInstallation``), so two can run side by side on two cores; a hung call is killed
with its process group after a time-out and its documents are tried once more.
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

INSTALL_HINT = "请安装 LibreOffice（Debian/Ubuntu：sudo apt-get install libreoffice-writer-nogui，或运行 make setup）"


def find_soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


@dataclass(frozen=True)
class Conversion:
    pdfs: dict[Path, Path | None]        # each DOCX → its PDF, or None when it failed twice
    calls: int                            # soffice processes started
    timeouts: int

    @property
    def failed(self) -> list[Path]:
        return [doc for doc, pdf in self.pdfs.items() if pdf is None]


def _command(soffice: str, profile: Path, outdir: Path, docs: Sequence[Path]) -> list[str]:
    return [soffice, "--headless", "--norestore", "--nologo", "--nolockcheck", "--nodefault",
            f"-env:UserInstallation={profile.as_uri()}", "--convert-to", "pdf:writer_pdf_Export",
            "--outdir", str(outdir), *map(str, docs)]


def _run(command: list[str], profile: Path, timeout: float) -> bool:
    """Run one soffice call in its own process group; False when it hung and was killed."""
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={**os.environ, "HOME": str(profile)}, start_new_session=True)
    try:
        proc.wait(timeout=timeout)
        return True
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        return False


def to_pdf(docs: Sequence[Path], outdir: Path, *, instances: int = 2, batch: int = 50, timeout: float = 300.0,
           on_done: Callable[[Path, Path | None], None] | None = None) -> Conversion:
    """Convert ``docs`` (distinct file names) into ``outdir``; each gets ``<stem>.pdf`` or None.

    A document that failed in a batch (time-out or no output) is retried once in a batch of its own."""
    soffice = find_soffice()
    if soffice is None:
        raise ToolMissing(f"找不到 LibreOffice，无法生成 PDF：{INSTALL_HINT}")
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
                finished = _run(_command(soffice, profile, outdir, chunk), profile, timeout)
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

        # Every instance gets work: 60 documents on two instances are two calls of 30, not 50 and 10.
        size = max(1, min(batch, -(-len(docs) // max(1, instances))))
        chunks = [list(docs[i:i + size]) for i in range(0, len(docs), size)]
        with ThreadPoolExecutor(max_workers=max(1, instances)) as pool:
            retry = [doc for failed in pool.map(lambda c: convert(c, False), chunks) for doc in failed]
            list(pool.map(lambda d: convert([d], True), retry))
    return Conversion({doc: results.get(doc) for doc in docs}, counts["calls"], counts["timeouts"])


def _complete(pdf: Path) -> bool:
    """A PDF written before its call was killed is kept only when it ends like a whole PDF."""
    with open(pdf, "rb") as fh:
        fh.seek(max(0, pdf.stat().st_size - 1024))
        return b"%%EOF" in fh.read()
