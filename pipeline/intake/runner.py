"""Runs intake: discovers files, reads them in worker processes, and files through one writer.

The list of stages is built here, in one place. A stage raises `Rejection`; the runner, not the
stage, turns it into an outcome (quarantine report, duplicate record, ignored temp file).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import shutil
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hudang.archive.catalog import connect as connect_catalog
from hudang.archive.store import Archive, Filing
from hudang.errors import HudangError, Problem
from hudang.forms.definitions import FormDef, FormRegistry, load_forms
from hudang.forms.readers.model import ReadLimits, SimpleVocabulary
from hudang.forms.readers.tabular import write_rows
from hudang.forms.validate import check
from hudang.forms.values import mask_text
from hudang.pipeline.dunning import fees
from hudang.pipeline.intake import backlog, stages, tables
from hudang.pipeline.intake import quarantine as q
from hudang.pipeline.intake.outcomes import (
    DUPLICATE,
    FILED,
    IGNORED,
    IMPORTED,
    PARTIAL,
    QUARANTINED,
    STATUS_TEXT,
    Outcome,
    RowOutcome,
)
from hudang.settings import Home

log = logging.getLogger("hudang.intake")
PARALLEL_MIN = 24   # below this many files, worker start-up costs more than it saves


@dataclass(frozen=True)
class Context:
    """Everything the stages need, read once and passed explicitly."""

    home: Home
    forms: FormRegistry
    vocab: SimpleVocabulary
    limits: ReadLimits

    @classmethod
    def load(cls, home: Home) -> Context:
        forms = load_forms([home.forms_dir])
        limits = ReadLimits(max_bytes=home.limits.max_bytes, max_unzipped_bytes=home.limits.max_unzipped_bytes,
                            libreoffice_timeout=home.office.timeout)
        return cls(home, forms, stages.vocabulary(forms), limits)

    @property
    def snapshots(self) -> Path:
        return self.home.run_dir / "snapshots"


def _problems(ps: Iterable[Problem], row: int | None = None) -> list[dict[str, Any]]:
    out = []
    for p in ps:
        entry = {"field": p.field, "code": p.code, "message": mask_text(p.message)}
        if row is not None:
            entry["row"] = row
        out.append(entry)
    return out


def read_one(item: stages.Item, ctx: Context | None = None) -> stages.Item | tuple[stages.Item, stages.Rejection]:
    """admit → snapshot → read → classify, in a worker; a rejection comes back as a value."""
    ctx = ctx or _WORKER_CONTEXT
    assert ctx is not None
    try:
        stages.admit(item, ctx.limits)
        stages.snapshot(item, ctx.snapshots)
        stages.read(item, ctx.vocab, ctx.limits)
        return stages.classify(item, ctx.forms, ctx.home.intake)
    except stages.Rejection as rej:
        return item, rej
    except Exception as exc:  # a reader bug must not stop the batch: the file is quarantined
        log.exception("reading %s failed", item.source)
        return item, stages.reject("internal", f"读取时出现内部错误（{type(exc).__name__}），文件已隔离待查")


_WORKER_CONTEXT: Context | None = None


def _init_worker(ctx: Context, parent: int) -> None:
    """Each worker receives the context once, not with every file. Stop signals are the parent's
    to handle (it finishes the batch in hand), and a worker outlives its parent by at most a second."""
    global _WORKER_CONTEXT
    _WORKER_CONTEXT = ctx
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):  # never keep the caller's pipes open (`hudang ingest --json | jq` must see EOF)
        os.dup2(devnull, fd)
    threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True).start()


def _exit_with_parent(parent: int) -> None:
    while True:
        time.sleep(0.5)
        try:
            os.kill(parent, 0)
        except ProcessLookupError:
            os._exit(0)


def _warm() -> None:
    """A first task for a new worker: it has loaded the readers by the time it returns."""
    time.sleep(0.01)


def _is_table_name(item: stages.Item) -> bool:
    return item.path.suffix.lower() in (".csv", ".tsv", ".txt", ".xlsx", ".xlsm", ".xls", ".et")


class Readers:
    """Reader processes for a session; the intake service keeps one pool across its batches."""

    WINDOW = 64  # files read ahead of the writer: memory stays bounded whatever the burst

    def __init__(self, ctx: Context, workers: int | None = None, *, parallel_min: int = PARALLEL_MIN) -> None:
        self.ctx = ctx
        self.workers = workers or os.cpu_count() or 1
        self.parallel_min = parallel_min
        self._pool: ProcessPoolExecutor | None = None

    def _get_pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            # forkserver, not fork: a forked worker would inherit the writer and service lock files,
            # and if this process were killed, orphaned workers would keep the data home locked.
            method = os.environ.get("HUDANG_MP_START", "forkserver")
            self._pool = ProcessPoolExecutor(max_workers=self.workers, initializer=_init_worker,
                                             initargs=(self.ctx, os.getpid()),
                                             mp_context=multiprocessing.get_context(method))
        return self._pool

    def start(self) -> None:
        """Start every worker now (a long-lived service), rather than with the first files."""
        if self.workers > 1:
            pool = self._get_pool()
            for _ in range(self.workers):  # each submit finds no idle worker and starts one
                pool.submit(_warm)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def __enter__(self) -> Readers:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _read(self, items: list[stages.Item]) -> Generator[Any, None, None]:
        """Results in input order, reading at most WINDOW files ahead."""
        if self.workers <= 1 or len(items) < self.parallel_min:
            for item in items:
                yield read_one(item, self.ctx)
            return
        pool = self._get_pool()
        ahead: deque[Future[Any]] = deque()
        feed = iter(items)
        for item in feed:
            ahead.append(pool.submit(read_one, item))
            if len(ahead) >= self.WINDOW:
                break
        while ahead:
            result = ahead.popleft().result()
            nxt = next(feed, None)
            if nxt is not None:
                ahead.append(pool.submit(read_one, nxt))
            yield result

    def stream(self, items: list[stages.Item]) -> Generator[Any, None, None]:
        """Results in the order filing needs them, each as soon as it is ready.

        Files that may be tables are read first; rosters, fee ledgers and reminder logs among them are
        handed over before anything else (forms are checked against rosters). Every other file, form
        batches included, follows in the order it was found, so versions keep their order.
        """
        table_at = [n for n, item in enumerate(items) if _is_table_name(item)]
        early = dict(zip(table_at, self._read([items[n] for n in table_at]), strict=True))
        imports = {n: r for n, r in early.items() if not isinstance(r, tuple) and r.table is not None}
        yield from sorted(imports.values(), key=_order)
        rest = self._read([item for n, item in enumerate(items) if n not in early])
        for n in range(len(items)):
            if n in early:
                if n not in imports:
                    yield early[n]
            else:
                yield next(rest)


def read_stream(items: list[stages.Item], ctx: Context, workers: int) -> Iterator[Any]:
    """One-off reading (``hudang ingest``)."""
    with Readers(ctx, workers) as readers:
        yield from readers.stream(items)


def _order(result: Any) -> int:
    """Rosters first (forms need them), then ledgers and reminder logs, then forms."""
    item = result if isinstance(result, stages.Item) else result[0]
    if item.table == tables.ROSTER:
        return 0
    if item.table is not None:
        return 1
    return 2


class Ingest:
    """One ingest run: the writer side. Holds the archive's writer lock while filing."""

    def __init__(self, ctx: Context, archive: Archive, on_outcome: Callable[[Outcome], None] | None = None,
                 retry_of: str | None = None) -> None:
        self.ctx = ctx
        self.archive = archive
        self.on_outcome = on_outcome
        self.retry_of = retry_of
        self.retry_info: dict[str, Any] = {}
        if retry_of:
            entry: dict[str, Any] = next((e for e in q.entries(ctx.home.quarantine) if e["id"] == retry_of), {})
            self.retry_info = {"quarantine_id": retry_of, "source": entry.get("source"), "at": entry.get("at")}
        self.outcomes: list[Outcome] = []
        self.pending: list[tuple[stages.Item, Filing, Outcome | RowOutcome]] = []
        self.to_index: list[str] = []
        self.index_since = 0.0
        self._indexer: threading.Thread | None = None

    INDEX_BATCH = 1024     # records per index commit: whoosh's cost is mostly per commit and per segment
    INDEX_DELAY = 5.0      # … but nothing waits longer than this to become searchable

    def index(self, *, force: bool) -> None:
        """Bring the search index up to what is filed, in large commits, on a thread of its own.

        The writer thread mostly waits for the readers; indexing beside it uses that time instead of
        stopping filing (a later step: its failures go to the backlog, never into filing)."""
        if self.to_index:
            if not self.index_since:
                self.index_since = time.monotonic()
            due = len(self.to_index) >= self.INDEX_BATCH or time.monotonic() - self.index_since > self.INDEX_DELAY
            if force or due:
                if self._indexer is not None:
                    self._indexer.join()  # one index commit at a time, in order
                ids, self.to_index, self.index_since = self.to_index, [], 0.0
                self._indexer = threading.Thread(target=self._index_job, args=(ids,), name="hudang-index")
                self._indexer.start()
        if force and self._indexer is not None:
            self._indexer.join()
            self._indexer = None

    def _index_job(self, ids: list[str]) -> None:
        conn = connect_catalog(self.ctx.home.catalog_path)  # SQLite connections stay in their thread
        try:
            backlog.index_records(self.ctx.home, conn, self.ctx.forms, ids)
        finally:
            conn.close()

    # ---- outcomes ----

    def emit(self, outcome: Outcome) -> None:
        self.outcomes.append(outcome)
        log.info("%s %s %s %s", STATUS_TEXT.get(outcome.status, outcome.status), outcome.source,
                 outcome.household or "", "; ".join(e["message"] for e in outcome.errors))
        if self.on_outcome:
            self.on_outcome(outcome)

    def _quarantine(self, item: stages.Item, problems: list[dict[str, Any]], *, rows_file: Path | None = None,
                    status: str = QUARANTINED) -> str:
        form = (item.form.id, item.form.name) if item.form else None
        if self.retry_of:
            entry = q.entry_path(self.ctx.home.quarantine, self.retry_of)
            report = q.entries(self.ctx.home.quarantine)
            current = next(r for r in report if r["id"] == self.retry_of)
            if rows_file is not None:
                history = entry / ".history"
                history.mkdir(exist_ok=True)
                if current.get("file") and (entry / current["file"]).exists():
                    os.replace(entry / current["file"], history / f"{len(list(history.iterdir())) + 1}-{current['file']}")
                shutil.copyfile(rows_file, entry / current["file"])
            current.update(problems=problems, at=current["at"], retried=True)
            current.pop("path", None)
            q.write_report(entry, current)
            return self.retry_of
        source = rows_file or item.snapshot or (item.path if item.path.is_file() else None)
        name = f"{Path(item.path.name).stem}-问题行{item.path.suffix}" if rows_file else item.path.name
        return q.quarantine(self.ctx.home.quarantine, source, item.source, problems, form=form,
                            rows_file=rows_file is not None, sha256=item.sha256, name=name)

    def rejected(self, item: stages.Item, rej: stages.Rejection) -> None:
        out = Outcome(item.source, rej.status, form=item.form.id if item.form else None,
                      errors=_problems(rej.problems))
        if rej.status == QUARANTINED:
            out.detail["quarantine_id"] = self._quarantine(item, out.errors)
        elif rej.status == DUPLICATE:
            out.detail.update({k: str(v) for k, v in rej.detail.items()})
            out.errors = []
            out.warnings = _problems(rej.problems)
        elif rej.status == IGNORED:
            out.warnings, out.errors = out.errors, []
        self.emit(out)

    # ---- the writer ----

    def take(self, item: stages.Item) -> None:
        """File one read item: a table import, a batch of form rows, a single form, or a scan."""
        ext = item.extraction
        assert ext is not None and item.sha256 is not None
        ref = self.archive.known_original(item.sha256)
        # A batch of form rows is checked row by row (file SHA + row number), so a run that died
        # between its rows resumes instead of calling the whole file a duplicate.
        is_batch = ext.kind == "table" and item.table is None
        if ref and not is_batch and item.claim_id and self.archive.claim_of(ref) == item.claim_id:
            self._recovered(item, ref)  # filed by this claim before a crash; only the release was missing
            return
        if ref and not is_batch:
            self.rejected(item, stages.Rejection(DUPLICATE, [Problem(None, "duplicate",
                          f"与已归档的文件内容完全相同（{ref}）")], duplicate_of=ref))
            return
        if ext.kind == "scan":
            self._unsorted(item)
        elif item.table is not None:
            self._import_table(item)
        elif ext.kind == "table":
            self._form_batch(item)
        else:
            self._single_form(item)

    def _recovered(self, item: stages.Item, ref: str) -> None:
        info = self.archive.describe(ref)
        out = Outcome(item.source, info.get("status", FILED), form=info.get("form"), household=info.get("household"),
                      record_id=info.get("record_id"), version=info.get("version"),
                      archive_no=info.get("archive_no"), kind=info.get("kind"), row_count=info.get("rows"),
                      detail={"recovered": True})
        self.emit(out)

    def _filing(self, item: stages.Item, form: FormDef, checked: Any, text: str,
                batch_row: int | None = None) -> Filing:
        prov = item.provenance()
        if self.retry_of:  # where the file first came from, before it waited in quarantine
            prov["retried_from"] = self.retry_info
        if batch_row is not None:
            prov["batch"] = {"row": batch_row, "sha256": item.sha256}
        warnings = _problems([*item.warnings, *checked.warnings])
        if form.id == "goods_release" and checked.place is not None:  # fees are checked before a 放行条 is signed
            notice = fees.release_warning(self.archive.conn, checked.place.estate, checked.place.key,
                                          checked.form_date)
            if notice:
                warnings.append(notice)
        return Filing(form_id=form.id, form_code=form.code, place=checked.place, values=checked.values,
                      raw={**checked.raw, **{f"(未识别){k}": v for k, v in checked.extra.items()}},
                      text=text, provenance=prov, original=None if batch_row is not None else item.snapshot,
                      number=checked.number, form_date=checked.form_date, warnings=warnings)

    def _single_form(self, item: stages.Item) -> None:
        assert item.form is not None and item.extraction is not None
        checked = check(item.form, item.extraction.records[0].fields, self.archive.estates)
        if not checked.ok or checked.place is None:
            problems = checked.problems or [Problem(item.form.room_field, "missing", "无法确定住户")]
            self.rejected(item, stages.Rejection(QUARANTINED, problems))
            return
        out = Outcome(item.source, FILED, form=item.form.id, household=checked.place and
                      f"{checked.place.estate}/{checked.place.key}", warnings=_problems([*item.warnings,
                      *checked.warnings]))
        filing = self._filing(item, item.form, checked, item.extraction.text)
        out.warnings += [w for w in filing.warnings if w["code"] == "in_arrears"]
        self.pending.append((item, filing, out))

    def _form_batch(self, item: stages.Item) -> None:
        ext = item.extraction
        assert ext is not None
        if item.form is None:
            self.rejected(item, stages.reject("unknown_form", "无法判断表格中的表单类型"))
            return
        out = Outcome(item.source, FILED, form=item.form.id, rows=[])
        bad = []
        for rec in ext.records:
            checked = check(item.form, rec.fields, self.archive.estates)
            row = RowOutcome(rec.row or 0, FILED)
            assert out.rows is not None
            out.rows.append(row)
            if not checked.ok or checked.place is None:
                row.status, row.errors = QUARANTINED, _problems(checked.problems, rec.row)
                bad.append(rec)
                continue
            row.household = f"{checked.place.estate}/{checked.place.key}"
            row.warnings = _problems(checked.warnings, rec.row)
            text = "\n".join(f"{k}：{v}" for k, v in rec.fields.items() if v)
            filing = self._filing(item, item.form, checked, text, rec.row)
            row.warnings += [w for w in filing.warnings if w["code"] == "in_arrears"]
            self.pending.append((item, filing, row))
        out.errors = [e for r in out.rows or [] for e in r.errors]
        known = bool(item.sha256 and self.archive.known_original(item.sha256))
        # Order matters for crash safety: bad rows to quarantine (idempotent by SHA-256), then the batch
        # file, then its rows at the next group commit (each row known by file SHA + row number).
        if bad:
            out.status = QUARANTINED if len(bad) == len(ext.records) else PARTIAL
            rows_path = self.ctx.snapshots / f"rows-{item.path.stem[:40]}{item.path.suffix.lower()}"
            rows_path = write_rows(rows_path, ext, bad)
            out.detail["quarantine_id"] = self._quarantine(item, out.errors, rows_file=rows_path)
            rows_path.unlink(missing_ok=True)
        if len(bad) < len(ext.records) and item.snapshot is not None and not known:
            self.archive.file_import("batch", item.snapshot, item.provenance(),
                                     [{"row": r.row, "status": r.status} for r in out.rows or []], form=item.form.id)
        self._batch_outcomes.append((item, out, known))

    def _import_table(self, item: stages.Item) -> None:
        ext, kind = item.extraction, item.table
        assert ext is not None and kind is not None and item.snapshot is not None
        good, bad, errors = [], [], []
        seen_estates: set[str] = set()
        for rec in ext.records:
            row, problems = tables.check_row(kind, rec, self.archive.estates, seen_estates)
            if problems:
                bad.append(rec)
                errors.extend(_problems(problems, rec.row))
            else:
                good.append(row)
        out = Outcome(item.source, IMPORTED, kind=kind.id, row_count=len(good), errors=errors)
        if good:
            if kind == tables.ROSTER:
                for estate in dict.fromkeys(r["estate"] for r in good if r):
                    self.archive.add_estate(estate)
                for r in good:
                    assert r is not None
                    r["estate"] = self.archive.estates.resolve(r["estate"]) or r["estate"]
            self.archive.file_import(kind.id, item.snapshot, item.provenance(), good)
        if bad:
            out.status = PARTIAL if good else QUARANTINED
            rows_path = self.ctx.snapshots / f"rows-{item.path.stem[:40]}{item.path.suffix.lower()}"
            rows_path = write_rows(rows_path, ext, bad)
            out.detail["quarantine_id"] = self._quarantine(item, errors, rows_file=rows_path)
            rows_path.unlink(missing_ok=True)
        self.emit(out)

    def _unsorted(self, item: stages.Item) -> None:
        """A scan: its routed documents are filed, the rest wait in the unsorted queue (pipeline/scans/queue.py)."""
        assert item.snapshot is not None and item.sha256 is not None
        from hudang.pipeline.scans import queue

        queue.take(self, item)

    def flush(self) -> None:
        """Group commit: everything pending becomes durable before any of it is reported filed."""
        if not self.pending and not self._batch_outcomes:
            return
        filed = self.archive.file([f for _, f, _ in self.pending]) if self.pending else []
        self.to_index.extend(r.record_id for r in filed if r.record_id and not r.duplicate_of)
        self.index(force=False)
        for (_, _, out), result in zip(self.pending, filed, strict=True):
            if result.duplicate_of:
                out.status = DUPLICATE
                out.warnings = out.warnings + [{"field": None, "code": "duplicate",
                                                "message": f"与已归档的记录相同（{result.duplicate_of}）"}]
                if isinstance(out, Outcome):
                    out.detail["duplicate_of"] = result.duplicate_of
            out.record_id, out.version, out.archive_no = result.record_id or None, result.version or None, \
                result.archive_no or None
            out.household = f"{result.place.estate}/{result.place.key}"
            out.warnings = out.warnings + result.warnings
            if result.moved_from and isinstance(out, Outcome):
                out.detail["moved_from"] = result.moved_from
        batch_items = {id(entry[0]) for entry in self._batch_outcomes}
        for (item, _, out) in self.pending:
            if isinstance(out, Outcome) and id(item) not in batch_items:
                self.emit(out)
        for item, out, known in self._batch_outcomes:
            rows = out.rows or []
            if known and not any(r.status == FILED for r in rows):
                ref = self.archive.known_original(item.sha256 or "") or ""
                if item.claim_id and self.archive.claim_of(ref) == item.claim_id:
                    out.detail["recovered"] = True  # this claim filed it before a restart
                else:
                    out.status, out.errors = DUPLICATE, []
                    out.detail["duplicate_of"] = ref
            self.emit(out)
        self.pending = []
        self._batch_outcomes = []

    _batch_outcomes: list[tuple[stages.Item, Outcome, bool]] = []


class IngestStopped(HudangError):
    """Filing stopped part-way; carries the outcomes already reached so none is lost from view."""

    def __init__(self, cause: BaseException, outcomes: list[Outcome], items: list[stages.Item]) -> None:
        reported = {o.source for o in outcomes}
        waiting = [i.source for i in items if i.source not in reported]
        super().__init__(f"归档中止：{getattr(cause, 'message', None) or cause}。已处理的文件结果如上；"
                         f"其余 {len(waiting)} 个文件未归档，可原样重新接收", code="ingest_stopped")
        self.outcomes = outcomes
        self.waiting = waiting


def _sweep_snapshots(folder: Path, max_age_s: float = 86400) -> None:
    """Drop private copies a killed run left behind (never intake files: those stay where they are)."""
    if not folder.is_dir():
        return
    cutoff = time.time() - max_age_s
    for entry in folder.iterdir():
        try:
            if entry.stat().st_mtime < cutoff:
                shutil.rmtree(entry, ignore_errors=True) if entry.is_dir() else entry.unlink()
        except OSError:
            continue


Defer = Callable[[stages.Item, stages.Rejection], bool]


def file_items(ctx: Context, items: list[stages.Item], results: Iterable[Any], *,
               on_outcome: Callable[[Outcome], None] | None = None, retry_of: str | None = None,
               defer: Defer | None = None) -> list[Outcome]:
    """The writer: take read results in order, file in group commits; every item gets one outcome
    (or, when ``defer`` says so, is handed back to the caller untouched)."""
    archive = Archive(ctx.home)
    run = Ingest(ctx, archive, on_outcome, retry_of)
    run._batch_outcomes = []
    snapshots: list[Path] = []   # private copies to drop once their outcome is out (not whole items)

    def flush() -> None:
        run.flush()
        for snap in snapshots:
            shutil.rmtree(snap.parent, ignore_errors=True)
        snapshots.clear()

    try:
        with archive.writer():
            backlog.retry(ctx.home, archive.conn, ctx.forms)
            group = ctx.home.limits.group_commit
            for result in results:
                item = result[0] if isinstance(result, tuple) else result
                if item.snapshot is not None:
                    snapshots.append(item.snapshot)
                if isinstance(result, tuple):
                    if defer is None or not defer(*result):
                        run.rejected(*result)
                else:
                    try:
                        run.take(result)
                    except stages.Rejection as rej:
                        run.rejected(result, rej)
                if len(run.pending) >= group:
                    flush()
            flush()
            run.index(force=True)
    except (HudangError, OSError) as exc:
        # The archive refused (disk full, permissions …): what was reported stays true and durable;
        # files not yet reported were not filed and can simply be taken in again.
        raise IngestStopped(exc, run.outcomes, items) from exc
    finally:
        if run._indexer is not None:
            run._indexer.join()
        archive.close()
        for snap in snapshots:
            shutil.rmtree(snap.parent, ignore_errors=True)
    return run.outcomes


def ingest(home: Home, paths: list[Path], *, workers: int | None = None,
           on_outcome: Callable[[Outcome], None] | None = None, retry_of: str | None = None,
           folder_form: str | None = None) -> list[Outcome]:
    """Take in files and folders once; every file gets exactly one outcome."""
    ctx = Context.load(home)
    _sweep_snapshots(ctx.snapshots)
    items = list(stages.discover(paths))
    for item in items:
        item.forced_form = folder_form
    return file_items(ctx, items, read_stream(items, ctx, workers or os.cpu_count() or 1),
                      on_outcome=on_outcome, retry_of=retry_of)
