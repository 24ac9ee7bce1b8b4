"""The search index behind a small facade, so another engine can stand in later.

Callers use `SearchIndex`: `replace(record_id → docs)`, `search(...)`, `rebuild(...)`, `count()`.
Nothing outside this package imports whoosh.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from whoosh import collectors, sorting
from whoosh import index as windex
from whoosh import query as wq

from hudang.errors import IndexOutdated, SearchIndexError
from hudang.index.analysis import normalize
from hudang.index.query import Parsed
from hudang.index.schema import SCHEMA_VERSION, make_schema
from hudang.patterns import lazy

META = "hudang-index.json"
# Segments are left as separate files (compound=False): a reader then opens them in well under a
# millisecond, where a compound file was copied into memory on every open (tens of ms at 100,000 records).
REBUILD_MB = 768   # per writer process


DATE_FLOOR, DATE_CEILING = 10000101, 29991231   # open date filters are closed here (see Filters)


@dataclass(frozen=True)
class Filters:
    form: str | None = None
    household: str | None = None
    estate: str | None = None
    estates: tuple[str, ...] = ()     # any of these (a user limited to several estates)
    date_from: int | None = None      # YYYYMMDD, inclusive
    date_to: int | None = None
    all_versions: bool = False

    def clauses(self) -> list[wq.Query]:
        """The filters as AND clauses of the query: the matcher then skips straight to the few documents of a
        household (a filter set would first list every allowed document). Each scores the same for every
        document, so ranking is unchanged."""
        parts: list[wq.Query] = []
        if self.household:
            parts.append(wq.Term("household", self.household))
        if self.estate:
            parts.append(wq.Term("estate", self.estate))
        if self.estates:
            parts.append(wq.ConstantScoreQuery(wq.Or([wq.Term("estate", e) for e in self.estates]), 0.0))
        if self.form:
            parts.append(wq.Term("form", self.form))
        if self.date_from is not None or self.date_to is not None:
            # A range is several terms whose weights differ: score it as a constant. An open end is closed at a date no record has: whoosh 2.7's NumericRange over this unsigned field
            # matches every document when the range reaches past these (e.g. 0 or 9999-12-31).
            since = self.date_from if self.date_from is not None else DATE_FLOOR
            until = self.date_to if self.date_to is not None else DATE_CEILING
            parts.append(wq.ConstantScoreQuery(wq.NumericRange("date", since, until), 0.0))
        return parts

    @staticmethod
    def mask() -> wq.Query:
        """Older versions are few: leaving them out costs far less than allowing every current document."""
        return wq.Term("current", False)


class SearchIndex:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._searcher: Any = None
        self._masked: set[int] | None = None   # older versions, left out unless all versions are asked for

    # ---- lifecycle ----

    def exists(self) -> bool:
        return windex.exists_in(str(self.folder))

    def create(self) -> None:
        """A fresh, empty index (the old one, if any, is moved aside first, then removed)."""
        if self.folder.exists():
            import shutil  # here: a search loads no file-tree code

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
        writer = ix.writer(timeout=10.0, compound=False)
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
        # Large pools: postings stay in memory instead of being spilled to runs, pickled and merged again.
        writer = ix.writer(procs=procs, multisegment=True, limitmb=REBUILD_MB, compound=False, batchsize=256) \
            if procs > 1 else ix.writer(limitmb=REBUILD_MB, compound=False)
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

    def searcher(self) -> Any:
        """A searcher kept between queries by this object, renewed when the index has changed since."""
        kept = self._searcher
        if kept is not None:
            try:
                if kept.up_to_date():
                    return kept
            except Exception:  # noqa: BLE001 - the index was replaced (rebuild): open it afresh
                pass
            self.close()
        self._searcher = self._open().searcher()
        self._masked = None
        return self._searcher

    def close(self) -> None:
        if self._searcher is not None:
            try:
                self._searcher.close()
            finally:
                self._searcher = None

    def _masked_docs(self, searcher: Any) -> set[int]:
        if self._masked is None:
            self._masked = set(searcher.docs_for_query(Filters.mask()))
        return self._masked

    def listing(self, filters: Filters, limit: int = 20) -> dict[str, Any]:
        """Every record the filters allow (no words), newest first — by the record's own date, then the later
        record ID — with the exact total; the same shape as `search`, snippets from the start of the text."""
        clauses = filters.clauses()
        if not clauses:
            raise ValueError("a listing needs at least one filter")
        searcher = self.searcher()
        query = clauses[0] if len(clauses) == 1 else wq.And(clauses)
        newest = sorting.MultiFacet([sorting.FieldFacet("date", reverse=True),
                                     sorting.FieldFacet("record_id", reverse=True)])
        if filters.all_versions:   # one hit per record: its latest version that the filters allow
            latest: dict[str, dict[str, Any]] = {}
            for n in searcher.docs_for_query(query):
                fields = searcher.stored_fields(n)
                kept = latest.get(fields["record_id"])
                if kept is None or fields["version"] > kept["version"]:
                    latest[fields["record_id"]] = fields
            ordered = sorted(latest.values(), key=lambda f: (f.get("date") or 0, f["record_id"]), reverse=True)
            return {"total": len(latest), "hits": [self._hit(f, [], filters) for f in ordered[:limit]]}
        else:
            masked = self._masked_docs(searcher)
            results = searcher.search(query, limit=limit, sortedby=newest, mask=masked)
            total = sum(1 for n in searcher.docs_for_query(query) if n not in masked)
        return {"total": total, "hits": [self._hit(hit, [], filters) for hit in results]}

    @staticmethod
    def _hit(hit: Any, literals: list[str], filters: Filters) -> dict[str, Any]:
        date = hit.get("date")
        return {
            "record_id": hit["record_id"], "archive_no": hit.get("archive_no"), "household": hit["household"],
            "form": hit["form"], "date": f"{date // 10000:04d}-{date // 100 % 100:02d}-{date % 100:02d}" if date else None,
            "snippet": snippet(hit.get("text", ""), literals),
            **({"version": hit["version"]} if filters.all_versions else {}),
        }

    def search(self, parsed: Parsed, filters: Filters, limit: int = 20, newest_first: bool = False) -> dict[str, Any]:
        searcher = self.searcher()
        clauses = filters.clauses()
        query = wq.And([parsed.query, *clauses]) if clauses else parsed.query
        if filters.all_versions:
            results = searcher.search(query, limit=limit, collapse="record_id")
            # collapsing needs every match scored to count what is left
            total = len(searcher.search(query, limit=None, collapse="record_id").top_n)
        else:
            masked = self._masked_docs(searcher)
            # One pass that scores and counts every match: whoosh's own count after a top-N search trusts the
            # last segment's matcher and its matcher replacement drops low-scoring branches, so it undercounts.
            if newest_first:  # every match is collected to sort it: the count is the number collected
                by_date = collectors.SortingCollector(sorting.FieldFacet("date", reverse=True), limit)
                kept = collectors.FilterCollector(by_date, restrict=masked)
                searcher.search_with_collector(query, kept)
                results = kept.results()
                total = len(by_date.items)
            else:
                top = collectors.TopCollector(limit, usequality=False, replace=0)
                kept = collectors.FilterCollector(top, restrict=masked)
                searcher.search_with_collector(query, kept)
                results, total = kept.results(), top.total
        return {"total": total, "hits": [self._hit(hit, parsed.literals, filters) for hit in results]}


_ALNUM = re.compile(r"[0-9a-z]")
_JOINED = lazy(r"[0-9a-z][.\-·/:][0-9a-z]")


def _inside_token(norm: str, i: int, j: int) -> bool:
    """True when the match norm[i:j] starts or ends inside a longer Latin/digit token (302 in 1302,
    2026 in 2026-09-01): that is not what the index matched, so it is not marked."""
    left = i > 0 and _ALNUM.match(norm[i]) is not None and (
        _ALNUM.match(norm[i - 1]) is not None or (i > 1 and _JOINED.fullmatch(norm[i - 2:i + 1]) is not None))
    right = j < len(norm) and _ALNUM.match(norm[j - 1]) is not None and (
        _ALNUM.match(norm[j]) is not None or (j + 1 < len(norm) and _JOINED.fullmatch(norm[j - 1:j + 2]) is not None))
    return left or right


def _matches(norm: str, needles: list[str]) -> list[tuple[int, int]]:
    found = []
    for needle in needles:
        # a licence plate's dot may stand between any two characters (皖A·12345 for 皖a12345)
        chars = re.sub("[·・•]", "", needle) or needle
        for m in re.finditer("(?=(" + "[·・•]?".join(map(re.escape, chars)) + "))", norm):
            i, j = m.start(1), m.end(1)
            if not _inside_token(norm, i, j):
                found.append((i, j))
    return found


def snippet(text: str, literals: list[str], width: int = 60) -> str:
    """A window of the (masked) text around the first match, every match marked 【】."""
    flat = re.sub(r"\s+", " ", text).strip()
    norm = normalize(flat)
    if len(norm) != len(flat):  # normalisation changed lengths: mark on the normalised text
        flat = norm
    spans = _matches(norm, sorted({n for n in literals if n}, key=len, reverse=True))
    first = min((i for i, _ in spans), default=-1)
    start = max(0, first - width // 3) if first >= 0 else 0
    end = min(len(flat), start + width)
    window = flat[start:end]
    marks = [False] * len(window)
    for i, j in spans:
        for k in range(max(i, start), min(j, end)):
            marks[k - start] = True
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
