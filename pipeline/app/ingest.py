"""Taking files in by hand (`hudang ingest`): every file gets one outcome, then the OCR queue gets its turn.

A filing that stops part-way raises `IngestStopped`, which carries the outcomes already reached.
"""

from __future__ import annotations

import logging
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hudang.archive.paths import safe_component, safe_filename
from hudang.errors import UsageError
from hudang.escapes import printable_name
from hudang.forms.readers.admission import is_hidden
from hudang.pipeline.app.scans import QUEUE_READER
from hudang.pipeline.app.session import Session
from hudang.pipeline.intake import backlog, stages
from hudang.pipeline.intake.outcomes import IGNORED, Outcome
from hudang.pipeline.intake.readers import Readers
from hudang.pipeline.intake.runner import ingest as run_ingest
from hudang.pipeline.intake.stages import Context, TableOptions
from hudang.pipeline.intake.writer import file_items
from hudang.pipeline.scans.queue import OCR_PENDING, process_if_possible
from hudang.pipeline.service.status import service_running
from hudang.settings import Home

log = logging.getLogger("hudang.web")


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


BATCH_FILES = 50
"""Files the 上传 page sends in one request (each request is one intake run: one writer lock, one group commit;
the index commit is made by the last request of an upload, see `upload`'s ``more``); the bench sends the same."""
BATCH_BYTES = 8 * 1024 * 1024
"""… and at most this many bytes in one request (scans are read with OCR: a request stays well under the
server's time limit), a single larger file going alone."""
READERS_IDLE_S = 60.0
"""The web keeps its reader processes this long after an upload: a folder arrives as many requests."""
INDEX_LATER_S = 5.0
"""An upload request that said more would follow leaves its records for the next request's index commit; when
none has come this long after the last such request (the page was closed half-way), the web commits them
itself (`IndexLater`)."""


@dataclass(frozen=True)
class Upload:
    """One file sent through the web: its client-side name (any text), its bytes, kept unchanged, and, for a
    file of a folder, its path inside that folder as the browser gives it (``批次/文件/金第花园/3-2-1201/a.pdf``)."""

    name: str
    data: bytes
    path: str | None = None


def _too_large(name: str, size: int, limit: int) -> Outcome:
    mb = limit / (1024 * 1024)
    return Outcome(name, IGNORED, errors=[{"field": None, "code": "too_large",
                                           "message": f"文件 {size / (1024 * 1024):.1f} MB，超过上传上限 {mb:g} MB，"
                                                      "未接收（[web] upload_max_mb）"}])


def _refused(name: str, code: str, message: str) -> Outcome:
    return Outcome(name, IGNORED, errors=[{"field": None, "code": code, "message": message}])


MAX_DEPTH = 32   # folder levels in an uploaded path


def relative_parts(f: Upload) -> list[str] | Outcome:
    """Where the file goes below the upload's folder, as `hudang ingest FOLDER` would find it: the folder path
    the browser gave, each part made a safe name; a loose file is its name alone. A path that climbs out
    (``..``), starts at a root or a drive, or has an empty part is refused (the file is not taken), and so is a
    file in a hidden folder (`hudang ingest` skips those) — each with its outcome."""
    if not f.path:
        return [safe_filename(f.name or "file")]
    shown = printable_name(f.path)
    raw = f.path.split("/")
    if (f.path.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", f.path) or "\x00" in f.path
            or any(part in ("", ".", "..") or "\\" in part for part in raw) or len(raw) > MAX_DEPTH):
        return _refused(shown, "unsafe_path", f"文件路径“{shown}”不安全（含“..”、空的层级、盘符或以“/”开头），未接收；"
                                              "请选择文件夹本身上传")
    if any(is_hidden(part) for part in raw[:-1]):
        return _refused(shown, "hidden_folder", "在隐藏文件夹中（hudang ingest 同样跳过），未接收")
    if is_hidden(raw[-1]):
        return _refused(shown, "temp_file", "临时文件或隐藏文件，不予接收")
    return [safe_component(part, fallback="file") for part in raw]


def _stage(folder: Path, files: list[Upload], limit: int) -> tuple[dict[int, Path], dict[int, Outcome], list[Path]]:
    """Write the files under ``folder``: a loose file at ``fN/name``, a folder's file at ``dN/<its path>`` — N the
    first set where that path is free (two files of one name never meet). Returns where each file went, the
    outcomes of files refused before the intake, and the paths to give the intake (a loose file, or a folder's
    top, walked as `hudang ingest FOLDER` walks it)."""
    staged: dict[int, Path] = {}
    refused: dict[int, Outcome] = {}
    files_in: dict[str, set[str]] = {}   # set name → the files in it and their folders (relative, "/"-joined)
    dirs_in: dict[str, set[str]] = {}
    given: dict[Path, None] = {}
    for n, f in enumerate(files):
        if len(f.data) > limit:
            refused[n] = _too_large(printable_name(f.path or f.name), len(f.data), limit)
            continue
        parts = relative_parts(f)
        if isinstance(parts, Outcome):
            refused[n] = parts
            continue
        rel, dirs = "/".join(parts), ["/".join(parts[:i]) for i in range(1, len(parts))]
        prefix, k = ("d" if dirs else "f"), 0
        while True:
            name = f"{prefix}{k}"
            used, folders = files_in.setdefault(name, set()), dirs_in.setdefault(name, set())
            if rel not in used and rel not in folders and not used.intersection(dirs):
                break
            k += 1
        used.add(rel)
        folders.update(dirs)
        path = folder.joinpath(name, *parts)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(f.data)
        staged[n] = path
        given[folder / name / parts[0]] = None
    return staged, refused, list(given)


def upload(session: Session, files: list[Upload], *, workers: int | None = None,
           document: DocumentRequest | None = None, tables: bool = True, more: bool = False) -> Ingested:
    """Uploaded files taken in as `hudang ingest` takes files and folders (same writer lock, same outcomes, one
    per file, in the order sent), in one intake run — one lock, one group commit — with reader processes kept
    from the last upload: each is staged in a private folder inside the home (a folder's files under their
    paths in it, so form folders, ``文件/项目/房号/`` and estate folders mean what they mean to
    `hudang ingest FOLDER`), which is removed afterwards; the archive keeps its own copy of the bytes as
    received. Files over ``[web] upload_max_mb`` (the same limit as the web's whole request) get an ``ignored``
    outcome (``too_large``) and nothing is stored, as does an unsafe folder path (``unsafe_path``). With
    ``tables=False`` import tables (rosters, ledgers …) are refused the same way (``tables_not_allowed``):
    only people who manage estates import them.

    Scans (not 文件) are not read in the request: they are parked in the OCR queue (``unsorted``, state
    ``ocr_pending``, 排队识别) and read by this process's `scans.QUEUE_READER` beside the server, so a request
    of many scanned pages answers at once instead of running into the server's time-out; the page then shows
    each scan's outcome when it is read (`scans.scan_outcome`).

    ``more``: more requests of the same upload follow (the 上传 page sends a folder as batches): the filed
    records wait in the index backlog and the last request (``more`` false) indexes them all in one commit, as
    `hudang ingest` of the folder makes one; they are filed and safe either way, and searchable once the last
    request has answered (or `INDEX_LATER_S` after an upload stopped half-way)."""
    if not files:
        raise UsageError("没有上传任何文件", code="no_files")
    wanted = document.checked(session) if document else None   # with ``document``: each file a 文件 of it
    limit = session.home.web.upload_max_bytes
    root = session.home.run_dir / "uploads"
    root.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="upload-", dir=root))
    try:
        staged, refused, given = _stage(folder, files, limit)
        by_path: dict[str, Outcome] = {}
        if given:
            with KEPT.readers(session.home, workers) as readers:
                taken = run_ingest(session.home, given, workers=workers, document=wanted, tables=tables,
                                   readers=readers, index_later=more, ocr_later=True)
            by_path = {o.source: o for o in taken}
        outcomes = []
        for n in range(len(files)):
            if n in refused:
                outcomes.append(refused[n])
                continue
            out = by_path.get(printable_name(str(staged[n]))) or Outcome(str(staged[n]), IGNORED)
            # the page knows the file by its name (a folder's file by its path), not by our folder
            out.source = "/".join(staged[n].relative_to(folder).parts[1:])
            outcomes.append(out)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        if more:
            INDEX_LATER.soon(session.home)
    if any(o.detail.get("state") == OCR_PENDING for o in outcomes):
        QUEUE_READER.wake(session.home, workers)
    return Ingested(outcomes)


def _signature(home: Home) -> tuple[object, ...]:
    """What the readers' context was loaded from: form definitions, import profiles, layouts, config.toml. A
    change (a form added as a TOML file) starts fresh readers on the next upload."""
    seen: list[object] = [str(home.root)]
    for where in (home.forms_dir, home.profiles_dir, home.layouts_dir, home.root / "config.toml"):
        paths = sorted(where.rglob("*")) if where.is_dir() else [where]
        for p in paths:
            try:
                st = p.stat()
            except OSError:
                continue
            seen.append((str(p), st.st_mtime_ns, st.st_size))
    return tuple(seen)


class KeptReaders:
    """The web process's reader processes and their context, kept between uploads and let go after
    ``READERS_IDLE_S`` without one (`hudang ingest` starts its own and stops them at the end). An upload that
    finds them busy (another thread of this process uploading) starts its own, as before."""

    def __init__(self, idle: float = READERS_IDLE_S) -> None:
        self.idle = idle
        self._lock = threading.Lock()
        self._readers: Readers | None = None
        self._key: tuple[object, ...] | None = None
        self._last = 0.0
        self._timer: threading.Timer | None = None

    @contextmanager
    def readers(self, home: Home, workers: int | None) -> Iterator[Readers | None]:
        if not self._lock.acquire(blocking=False):
            yield None
            return
        try:
            key = (workers, _signature(home))
            if self._readers is not None and self._key != key:
                self._readers.close()
                self._readers = None
            if self._readers is None:
                self._readers = Readers(Context.load(home), workers)
                self._key = key
            yield self._readers
        except BaseException:
            if self._readers is not None:   # a failed run: its processes may be in any state
                self._readers.close()
                self._readers = None
            raise
        finally:
            self._last = time.monotonic()
            if self._timer is None:
                self._timer = threading.Timer(self.idle, self._expire)
                self._timer.daemon = True
                self._timer.start()
            self._lock.release()

    def _expire(self) -> None:
        with self._lock:
            self._timer = None
            wait = self.idle - (time.monotonic() - self._last)
            if wait > 0:   # used since: look again when it has been idle long enough
                self._timer = threading.Timer(wait, self._expire)
                self._timer.daemon = True
                self._timer.start()
            elif self._readers is not None:
                self._readers.close()
                self._readers = None

    def close(self) -> None:
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            if self._readers is not None:
                self._readers.close()
                self._readers = None


KEPT = KeptReaders()


class IndexLater:
    """The safety net of ``upload(more=True)``: when no writer has come along ``INDEX_LATER_S`` after the
    newest record was left in the index backlog, index what waits there (a writer run with no files, as the
    intake service does for its backlog). Across the web's processes the backlog files' own times say when the
    last upload request left records there."""

    def __init__(self, delay: float = INDEX_LATER_S) -> None:
        self.delay = delay
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None

    def soon(self, home: Home) -> None:
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
            self._timer = threading.Timer(self.delay, self._due, (home,))
            self._timer.daemon = True
            self._timer.start()

    def cancel(self) -> None:
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None

    def _due(self, home: Home) -> None:
        with self._lock:
            self._timer = None
        newest = backlog.newest(home)
        if newest is None:
            return                      # another request (or process) has indexed them
        left = self.delay - (time.time() - newest)
        if left > 0:                    # an upload of another process is still going: look again later
            with self._lock:
                if self._timer is None:
                    self._timer = threading.Timer(left, self._due, (home,))
                    self._timer.daemon = True
                    self._timer.start()
            return
        try:
            index_waiting(home)
        except Exception:  # noqa: BLE001 - a timer thread: the records stay in the backlog for the next writer
            log.exception("indexing the upload's records left for later failed")


def index_waiting(home: Home) -> None:
    """Index the records waiting in the backlog now, under the writer lock (a writer run with no files)."""
    file_items(Context.load(home), [], iter(()))


INDEX_LATER = IndexLater()
