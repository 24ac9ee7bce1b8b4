"""The search index behind a small facade, so another engine can stand in later.

Callers use `SearchIndex`: `replace(record_id → docs)`, `search(...)`, `rebuild(...)`, `count()`.
Nothing outside this package imports whoosh.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from whoosh import index as windex
from whoosh import query as wq

from hudang.errors import IndexOutdated, SearchIndexError
from hudang.index.analysis import normalize
from hudang.index.query import Parsed
from hudang.index.schema import SCHEMA_VERSION, make_schema

META = "hudang-index.json"


@dataclass(frozen=True)
class Filters:
    form: str | None = None
    household: str | None = None
    estate: str | None = None
    date_from: int | None = None      # YYYYMMDD, inclusive
    date_to: int | None = None
    all_versions: bool = False

    def query(self) -> wq.Query | None:
        parts: list[wq.Query] = []
        if not self.all_versions:
            parts.append(wq.Term("current", True))
        if self.form:
            parts.append(wq.Term("form", self.form))
        if self.household:
            parts.append(wq.Term("household", self.household))
        if self.estate:
            parts.append(wq.Term("estate", self.estate))
        if self.date_from is not None or self.date_to is not None:
            parts.append(wq.NumericRange("date", self.date_from, self.date_to))
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else wq.And(parts)


class SearchIndex:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    # ---- lifecycle ----

    def exists(self) -> bool:
        return windex.exists_in(str(self.folder))

    def create(self) -> None:
        """A fresh, empty index (the old one, if any, is moved aside first, then removed)."""
        if self.folder.exists():
            old = self.folder.with_name(self.folder.name + ".old")
            shutil.rmtree(old, ignore_errors=True)
            os.rename(self.folder, old)
            shutil.rmtree(old, ignore_errors=True)
        self.folder.mkdir(parents=True)
        windex.create_in(str(self.folder), make_schema())
        (self.folder / META).write_text(json.dumps({"schema_version": SCHEMA_VERSION}), encoding="utf-8")

    def _open(self) -> windex.Index:
        if not self.exists():
            self.create()
        try:
            meta = json.loads((self.folder / META).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            meta = {}
        if meta.get("schema_version") != SCHEMA_VERSION:
            raise IndexOutdated("检索索引的版本与本程序不符，请运行 hudang rebuild 重建索引")
        return windex.open_dir(str(self.folder))

    # ---- writing ----

    def replace(self, records: dict[str, list[dict[str, Any]]]) -> None:
        """Each record's documents replace whatever the index held for it (none: it drops out)."""
        if not records:
            return
        ix = self._open()
        segments = len(ix._segments())
        writer = ix.writer(timeout=10.0)
        try:
            known = set()
            with ix.searcher() as searcher:
                for record_id in records:
                    if searcher.document_number(record_id=record_id) is not None:
                        known.add(record_id)
            for record_id, docs in records.items():
                if record_id in known:  # a new record has nothing to delete (saves a lookup per doc)
                    writer.delete_by_term("record_id", record_id)
                for doc in docs:
                    writer.add_document(**doc)
        except BaseException:
            writer.cancel()
            raise
        # Merging small segments on every group commit costs more than writing them; merge only when
        # segments pile up (searches stay fast with a handful of segments).
        writer.commit(merge=segments >= 12)

    def rebuild(self, docs: Iterable[dict[str, Any]], procs: int = 1) -> int:
        """Build from scratch (several processes when asked) and check the document count."""
        self.create()
        ix = windex.open_dir(str(self.folder))
        writer = ix.writer(procs=procs, multisegment=procs > 1, limitmb=128) if procs > 1 else ix.writer()
        expected = 0
        for doc in docs:
            writer.add_document(**doc)
            expected += 1
        writer.commit()
        got = self.count()
        if got != expected:
            raise SearchIndexError(f"索引重建后文档数不符（应为 {expected}，实际 {got}），请再次运行 hudang rebuild")
        return got

    def count(self) -> int:
        return int(self._open().doc_count())

    # ---- reading ----

    def search(self, parsed: Parsed, filters: Filters, limit: int = 20) -> dict[str, Any]:
        ix = self._open()
        with ix.searcher() as searcher:
            collapse = "record_id" if filters.all_versions else None
            results = searcher.search(parsed.query, filter=filters.query(), limit=limit, collapse=collapse)
            # whoosh's len() ignores the filter; count what was really matched (unscored: cheap).
            total = len(searcher.search(parsed.query, filter=filters.query(), limit=None, scored=bool(collapse),
                                        collapse=collapse).top_n)
            hits = []
            for hit in results:
                date = hit.get("date")
                hits.append({
                    "record_id": hit["record_id"], "household": hit["household"], "form": hit["form"],
                    "date": f"{date // 10000:04d}-{date // 100 % 100:02d}-{date % 100:02d}" if date else None,
                    "snippet": snippet(hit.get("text", ""), parsed.literals),
                    **({"version": hit["version"]} if filters.all_versions else {}),
                })
            return {"total": total, "hits": hits}


def snippet(text: str, literals: list[str], width: int = 60) -> str:
    """A window of the (masked) text around the first match, every match marked 【】."""
    flat = re.sub(r"\s+", " ", text).strip()
    norm = normalize(flat)
    if len(norm) != len(flat):  # normalisation changed lengths: mark on the normalised text
        flat = norm
    needles = sorted({n for n in literals if n}, key=len, reverse=True)
    first = min((i for i in (norm.find(n) for n in needles) if i >= 0), default=-1)
    start = max(0, first - width // 3) if first >= 0 else 0
    end = min(len(flat), start + width)
    window, nwindow = flat[start:end], norm[start:end]
    marks = [False] * len(window)
    for needle in needles:
        i = nwindow.find(needle)
        while i >= 0:
            for k in range(i, min(i + len(needle), len(window))):
                marks[k] = True
            i = nwindow.find(needle, i + 1)
    out, inside = [], False
    for ch, marked in zip(window, marks, strict=True):
        if marked and not inside:
            out.append("【")
        if not marked and inside:
            out.append("】")
        out.append(ch)
        inside = marked
    if inside:
        out.append("】")
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(flat) else ""
    return prefix + "".join(out) + suffix
