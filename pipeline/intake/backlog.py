"""Later steps after filing (the search index now; OCR with the scans issue).

A later step never blocks filing: when it fails (index locked, corrupt, disk full) the record ids
wait in ``run/backlog/<step>/`` and are retried by the next writer; `status` and `verify` show them.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Iterable
from pathlib import Path

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
