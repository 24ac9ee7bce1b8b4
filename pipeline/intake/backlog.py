"""The one later step after filing: bringing the search index up to what is filed.

Indexing never blocks filing: when it fails (index locked, corrupt, disk full) the record ids wait in
``run/backlog/index/`` and are retried by the next writer; `status` and `verify` show them. A run told to index
later (a web upload with more batches to come) leaves its records there on purpose (`defer`): the next writer
indexes them in its own commit, so a folder sent as many requests costs one index commit, as `hudang ingest` does. (Scans that
wait for OCR are not here: they wait in the unsorted queue, pipeline/scans/queue.py.)
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from collections.abc import Iterable
from pathlib import Path

from hudang.archive.catalog import connect as connect_catalog
from hudang.clock import stamp
from hudang.forms.definitions import FormRegistry
from hudang.index.analysis import add_words
from hudang.index.documents import record_docs
from hudang.index.engine import SearchIndex
from hudang.settings import Home

log = logging.getLogger("hudang.later")
INDEX = "index"


def _backlog(home: Home, step: str) -> Path:
    return home.run_dir / "backlog" / step


def _vocabulary(conn: sqlite3.Connection, forms: FormRegistry) -> None:
    """Estate names and form labels are words the segmenter must keep whole."""
    names = [r[0] for r in conn.execute("SELECT spelled FROM estate_names")]
    add_words([*names, *(label for form in forms for label in form.labels)])


def index_records(home: Home, conn: sqlite3.Connection, forms: FormRegistry, record_ids: Iterable[str]) -> bool:
    """Bring the index in step for these records; on failure queue them. True when indexed."""
    ids = sorted(set(record_ids))
    if not ids:
        return True
    try:
        _vocabulary(conn, forms)
        key = home.secret_key()
        SearchIndex(home.index_dir).replace({rid: record_docs(conn, home.archive, rid, forms, key) for rid in ids})
    except Exception as exc:  # any index failure: file anyway, retry later
        log.warning("检索索引更新失败，已排队稍后重试（%d 条）：%s", len(ids), exc)
        folder = _backlog(home, INDEX)
        folder.mkdir(parents=True, exist_ok=True)
        for rid in ids:
            (folder / f"{rid}.json").write_text(json.dumps({"at": stamp(), "error": str(exc)[:200]},
                                                           ensure_ascii=False), encoding="utf-8")
        return False
    done = _backlog(home, INDEX)
    for rid in ids:
        (done / f"{rid}.json").unlink(missing_ok=True)
    return True


def waiting(home: Home) -> list[str]:
    """The record ids waiting in the backlog (failed or deferred), oldest file first."""
    folder = _backlog(home, INDEX)
    if not folder.is_dir():
        return []
    return [p.stem for p in sorted(folder.glob("*.json"), key=lambda p: (p.stat().st_mtime_ns, p.name))]


def newest(home: Home) -> float | None:
    """When the last record was put in the backlog (its file's time), or None when nothing waits."""
    folder = _backlog(home, INDEX)
    times = []
    for p in folder.glob("*.json") if folder.is_dir() else ():
        try:
            times.append(p.stat().st_mtime)
        except OSError:   # indexed meanwhile
            continue
    return max(times, default=None)


def defer(home: Home, record_ids: Iterable[str]) -> None:
    """Leave these records for the next writer's index commit (they are filed; search finds them once that
    commit is made)."""
    ids = sorted(set(record_ids))
    if not ids:
        return
    folder = _backlog(home, INDEX)
    folder.mkdir(parents=True, exist_ok=True)
    for rid in ids:
        (folder / f"{rid}.json").write_text(json.dumps({"at": stamp(), "deferred": True}), encoding="utf-8")


def retry(home: Home, conn: sqlite3.Connection, forms: FormRegistry) -> int:
    """Retry queued index updates; returns how many are still waiting."""
    folder = _backlog(home, INDEX)
    if not folder.is_dir():
        return 0
    ids = [p.stem for p in folder.glob("*.json")]
    if ids and index_records(home, conn, forms, ids):
        log.info("检索索引积压已补做：%d 条", len(ids))
        return 0
    return len(ids)


def rebuild_index(home: Home, conn: sqlite3.Connection, forms: FormRegistry, procs: int = 1) -> int:
    """The whole index from the catalog and the archive's texts (the catalog is rebuilt first)."""
    _vocabulary(conn, forms)
    key = home.secret_key()
    ids = [r[0] for r in conn.execute("SELECT record_id FROM records WHERE voided = 0 ORDER BY record_id")]
    docs = (doc for rid in ids for doc in record_docs(conn, home.archive, rid, forms, key))
    count = SearchIndex(home.index_dir).rebuild(docs, procs=procs)
    folder = _backlog(home, INDEX)
    if folder.is_dir():
        for p in folder.glob("*.json"):
            p.unlink()
    return count


class Indexer:
    """Indexes what a writer files, in large commits, on a thread of its own beside filing.

    The writer thread mostly waits for the readers; indexing beside it uses that time instead of stopping
    filing. A failed commit goes to the backlog (`index_records`), never into filing."""

    BATCH = 1024     # records per index commit: whoosh's cost is mostly per commit and per segment
    DELAY = 5.0      # … but nothing waits longer than this to become searchable

    def __init__(self, home: Home, forms: FormRegistry, *, later: bool = False) -> None:
        self.home = home
        self.forms = forms
        self.later = later   # the run's last records wait in the backlog for the next writer (`finish`)
        self.waiting: list[str] = []
        self.since = 0.0
        self._thread: threading.Thread | None = None

    def add(self, record_ids: Iterable[str], *, force: bool = False) -> None:
        """Queue filed records; start an index commit when enough wait, or they waited long enough."""
        self.waiting.extend(record_ids)
        if self.waiting:
            if not self.since:
                self.since = time.monotonic()
            due = len(self.waiting) >= self.BATCH or (not self.later and time.monotonic() - self.since > self.DELAY)
            if force or due:
                self.join()  # one index commit at a time, in order
                ids, self.waiting, self.since = self.waiting, [], 0.0
                self._thread = threading.Thread(target=self._commit, args=(ids,), name="hudang-index")
                self._thread.start()
        if force:
            self.join()

    def finish(self) -> None:
        """The end of the writer's run: what waits is committed now — or, told to index later, left in the
        backlog for the next writer."""
        if self.later:
            self.join()
            ids, self.waiting, self.since = self.waiting, [], 0.0
            defer(self.home, ids)
        else:
            self.add((), force=True)

    def join(self) -> None:
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _commit(self, ids: list[str]) -> None:
        conn = connect_catalog(self.home.catalog_path)  # SQLite connections stay in their thread
        try:
            index_records(self.home, conn, self.forms, ids)
        finally:
            conn.close()
