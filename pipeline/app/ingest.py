"""Taking files in by hand (`hudang ingest`): every file gets one outcome, then the OCR queue gets its turn.

A filing that stops part-way raises `IngestStopped`, which carries the outcomes already reached.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hudang.archive.paths import safe_filename
from hudang.errors import UsageError
from hudang.pipeline.app.session import Session
from hudang.pipeline.intake import stages
from hudang.pipeline.intake.outcomes import IGNORED, Outcome
from hudang.pipeline.intake.runner import ingest as run_ingest
from hudang.pipeline.intake.stages import TableOptions
from hudang.pipeline.scans.queue import process_if_possible
from hudang.pipeline.service.status import service_running


@dataclass(frozen=True)
class Ingested:
    outcomes: list[Outcome]
    ocr_queue: list[dict[str, Any]] = field(default_factory=list)
    """Scans that waited for the OCR tool and were read in this run (filed or still unsorted)."""
    dry_run: bool = False

    def as_json(self) -> dict[str, Any]:
        return {"outcomes": [o.as_json() for o in self.outcomes], **({"dry_run": True} if self.dry_run else {}),
                **({"ocr_queue": self.ocr_queue} if self.ocr_queue else {})}


@dataclass(frozen=True)
class DocumentRequest:
    """`ingest --household E/K --document 题名 [--category C] [--author 责任者]`: the files are 文件 of that
    household."""

    household: str
    title: str
    category: str | None = None
    author: str | None = None

    def checked(self, session: Session) -> dict[str, str]:
        """Told before any file is read: an unknown household or 类别, an empty 题名."""
        from hudang.pipeline.household import documents

        result = documents.describe(session.forms, session.archive.estates, self.household, self.title,
                                    category=self.category, author=self.author)
        if not result.ok:
            p = result.problems[0]
            raise UsageError(f"文件“{p.field}”：{p.message}", code=p.code)
        return {"household": self.household, "title": self.title,
                **({"category": self.category} if self.category else {}),
                **({"author": self.author} if self.author else {}), "from": "command"}


def _check(session: Session, paths: list[Path]) -> None:
    """Every path exists; the intake folder itself belongs to the running service, not to a hand run."""
    for path in paths:
        if not path.exists() and not path.is_symlink():
            raise UsageError(f"找不到文件或文件夹：{path}", code="no_path")
    intake = session.home.intake.resolve()
    inside = [p for p in paths if p.resolve() == intake or intake in p.resolve().parents]
    if inside and service_running(session.home):
        raise UsageError(f"接收服务正在运行，收件夹里的文件由它接收；请不要再用 hudang ingest 处理 {inside[0]}",
                         code="intake_busy")


def ingest(session: Session, paths: list[Path], *, workers: int | None = None,
           on_start: Callable[[int], None] | None = None,
           on_outcome: Callable[[Outcome], None] | None = None, estate: str | None = None,
           profile: str | None = None, sheet: str | None = None, dry_run: bool = False,
           document: DocumentRequest | None = None, tables: bool = True) -> Ingested:
    """Files outside the intake folder are left untouched: the archive keeps its own copy (SPEC §4).

    ``on_start`` (when given) learns how many files will be taken, before the first; ``on_outcome``
    hears of each outcome as it is reached — both for a progress display. ``estate``, ``profile`` and
    ``sheet`` say how to read import tables (SPEC §12); ``dry_run`` reads and checks, and writes nothing. With ``document`` every file is filed as a
    文件 of that household (its 题名 and 类别 given).
    """
    _check(session, paths)
    wanted = document.checked(session) if document else None
    if profile is not None:
        from hudang.pipeline.app.import_profiles import get_profile

        get_profile(session, profile)   # an unknown name is a usage error, before any file is read
    if on_start is not None:
        on_start(sum(1 for _ in stages.discover(list(paths))))
    options = TableOptions(estate=estate, profile=profile, sheet=sheet) if estate or profile or sheet else None
    outcomes = run_ingest(session.home, list(paths), workers=workers, on_outcome=on_outcome, options=options,
                          dry_run=dry_run, document=wanted)
    if dry_run:
        return Ingested(outcomes, dry_run=True)
    return Ingested(outcomes, process_if_possible(session.home, session.forms, workers))


@dataclass(frozen=True)
class Upload:
    """One file sent through the web: its client-side name (any text) and its bytes, kept unchanged."""

    name: str
    data: bytes


def _too_large(name: str, size: int, limit: int) -> Outcome:
    mb = limit / (1024 * 1024)
    return Outcome(name, IGNORED, errors=[{"field": None, "code": "too_large",
                                           "message": f"文件 {size / (1024 * 1024):.1f} MB，超过上传上限 {mb:g} MB，"
                                                      "未接收（[web] upload_max_mb）"}])


def upload(session: Session, files: list[Upload], *, workers: int | None = None,
           document: DocumentRequest | None = None, tables: bool = True) -> Ingested:
    """Uploaded files taken in as `hudang ingest` takes files (same writer lock, same outcomes, one per file,
    in the order sent): each is staged under its sanitised name in a private folder inside the home, which is
    removed afterwards; the archive keeps its own copy of the bytes as received. Files over
    ``[web] upload_max_mb`` (the same limit as the web's whole request) get an ``ignored`` outcome (``too_large``)
    and nothing is stored. With ``tables=False`` import tables (rosters, ledgers …) are refused the same way
    (``tables_not_allowed``): only people who manage estates import them."""
    if not files:
        raise UsageError("没有上传任何文件", code="no_files")
    wanted = document.checked(session) if document else None   # with ``document``: each file a 文件 of it
    limit = session.home.web.upload_max_bytes
    root = session.home.run_dir / "uploads"
    root.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="upload-", dir=root))
    try:
        staged: dict[int, Path] = {}
        for n, f in enumerate(files):
            if len(f.data) <= limit:
                path = folder / f"{n:04d}" / safe_filename(f.name or "file")
                path.parent.mkdir()
                path.write_bytes(f.data)
                staged[n] = path
        by_path: dict[str, Outcome] = {}
        if staged:
            taken = run_ingest(session.home, list(staged.values()), workers=workers, document=wanted,
                               tables=tables)
            by_path = {o.source: o for o in taken}
        outcomes = []
        for n, f in enumerate(files):
            if n not in staged:
                outcomes.append(_too_large(f.name, len(f.data), limit))
                continue
            out = by_path.get(str(staged[n])) or Outcome(str(staged[n]), IGNORED)
            out.source = staged[n].name           # the page knows the file by its name, not our folder
            outcomes.append(out)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return Ingested(outcomes, process_if_possible(session.home, session.forms, workers))
