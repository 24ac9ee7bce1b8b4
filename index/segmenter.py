"""Segmenting a query without loading the whole jieba dictionary.

rjieba builds its segmenter from a 350,000-word dictionary when it is imported (about 0.15 s of CPU, a third
of a `hudang search`). A query is a few characters, and jieba's answer for a text depends only on
- the dictionary words that are substrings of the text (the DAG of candidate words and their frequencies),
- the dictionary's total frequency (each word's log probability is ``ln freq − ln total``),
- the words we add (`analysis.VOCABULARY`, estate names, labels: each added with the frequency jieba suggests,
  which depends on the same things for the added word).
So a segmenter built with `Jieba.empty()` from exactly those words, plus one padding word (a text no query
holds) that brings the total up to the full dictionary's, cuts the text the same way — by the same Rust code,
DAG, route and HMM included. tests/test_search_startup.py compares the two over a varied query set.

The dictionary words are looked up in a small SQLite file made once per machine and rjieba build from the
dictionary inside rjieba's own library (a zstd frame; the `zstd` command unpacks it), and checked against the
full segmenter when made. When that file cannot be made (no `zstd`, another rjieba), the full segmenter is used:
slower, same words.
"""

from __future__ import annotations

import hashlib
import importlib.machinery
import importlib.util
import logging
import os
import sqlite3
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

log = logging.getLogger("hudang.index")

PAD = "\U000f0000\U000f0001"      # a padding word: private-use characters no query holds
FORMAT = 1                        # bump when the cache file's layout changes
_ZSTD_MAGIC = bytes.fromhex("28b52ffd")
# Texts the small segmenter must cut as the full one does before its cache file is trusted.
PROBES = ("单元", "卫生间漏水", "欧阳建国", "金第花园3栋2单元1201室", "物业服务费催缴", "噪音扰民投诉", "皖a12345",
          "张三李四王五", "业主委员会", "返修回访满意", "2026年10月5日", "地下车库渗漏水", "有偿服务")

_lock = threading.Lock()
_dictionary: Dictionary | bool | None = None    # False: tried, not available in this process


def _library() -> Path | None:
    """rjieba's compiled library, found without importing rjieba (its __init__ loads the whole dictionary)."""
    spec = importlib.util.find_spec("rjieba")
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        for suffix in importlib.machinery.EXTENSION_SUFFIXES:
            path = Path(folder) / f"rjieba{suffix}"
            if path.exists():
                return path
    return None


def native() -> Any:
    """The `rjieba.rjieba` extension module (its `Jieba` class) without the default segmenter rjieba's
    package builds. Registered under its own name, so a later ``import rjieba`` uses this same module."""
    mod = sys.modules.get("rjieba.rjieba")
    if mod is not None:
        return mod
    path = _library()
    if path is None:
        import rjieba

        return sys.modules["rjieba.rjieba"] if "rjieba.rjieba" in sys.modules else rjieba
    loader = importlib.machinery.ExtensionFileLoader("rjieba.rjieba", str(path))
    spec = importlib.util.spec_from_file_location("rjieba.rjieba", path, loader=loader)
    assert spec is not None
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    sys.modules["rjieba.rjieba"] = mod
    return mod


def cache_dir() -> Path:
    """Per user and machine (not per data home: the file depends only on the installed rjieba)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "hudang"


def _cache_file(library: Path) -> Path:
    st = library.stat()
    key = f"{FORMAT}:{library.resolve()}:{st.st_size}:{st.st_mtime_ns}"
    return cache_dir() / f"jieba-dict-{hashlib.sha256(key.encode()).hexdigest()[:16]}.sqlite"


class Dictionary:
    """jieba's own dictionary as an SQLite table: word → frequency, and the total."""

    def __init__(self, path: Path) -> None:
        self.conn = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True, check_same_thread=False)
        meta = dict(self.conn.execute("SELECT key, value FROM meta"))
        self.total, self.longest = int(meta["total"]), int(meta["longest"])

    def frequencies(self, words: set[str]) -> dict[str, int]:
        found: dict[str, int] = {}
        batch = sorted(words)
        for i in range(0, len(batch), 900):
            part = batch[i:i + 900]
            found.update(self.conn.execute(
                f"SELECT word, freq FROM words WHERE word IN ({','.join('?' * len(part))})", part))
        return found


def _unpack(library: Path) -> list[tuple[str, int]] | None:
    """The dictionary inside rjieba's library: the first zstd frame that reads as ``word freq tag`` lines."""
    import shutil  # here: run once per machine, not by every search
    import subprocess

    zstd = shutil.which("zstd")
    if zstd is None:
        return None
    data = library.read_bytes()
    at = data.find(_ZSTD_MAGIC)
    while at >= 0:
        try:
            proc = subprocess.run([zstd, "-d", "-c", "-q"], input=data[at:], capture_output=True, timeout=60)
        except subprocess.SubprocessError as exc:   # a time-out: unavailable, as any other failure
            raise RuntimeError(str(exc)) from exc
        text = proc.stdout[:4096].decode("utf-8", "replace")
        first = text.split("\n", 1)[0].split(" ")
        if len(first) == 3 and first[1].isdigit():
            rows = []
            for line in proc.stdout.decode("utf-8").splitlines():
                word, freq, _ = line.split(" ")
                rows.append((word, int(freq)))
            return rows if len(rows) > 100_000 else None
        at = data.find(_ZSTD_MAGIC, at + 1)
    return None


def _write(path: Path, rows: list[tuple[str, int]]) -> None:
    import tempfile

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".jieba-", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        conn = sqlite3.connect(tmp)
        conn.execute("PRAGMA journal_mode=OFF")
        conn.execute("CREATE TABLE words(word TEXT PRIMARY KEY, freq INTEGER NOT NULL) WITHOUT ROWID")
        conn.execute("CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        by_word = dict(rows)   # a word listed twice: its last frequency, as jieba keeps it
        conn.executemany("INSERT INTO words VALUES (?, ?)", sorted(by_word.items()))
        conn.executemany("INSERT INTO meta VALUES (?, ?)", [
            ("total", str(sum(f for _, f in rows))), ("longest", str(max(len(w) for w in by_word)))])
        conn.commit()
        conn.close()
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _make(path: Path, library: Path) -> bool:
    """Unpack, write, and check the file against the full segmenter; False (and no file) when any step fails."""
    rows = _unpack(library)
    if rows is None:
        return False
    _write(path, rows)
    full = native().Jieba()
    small = Dictionary(path)
    ok = all(cut(small, probe, (), lambda: native().Jieba.empty()) == full.tokenize(probe) for probe in PROBES)
    small.conn.close()
    if not ok:
        log.warning("jieba dictionary unpacked from %s does not segment as rjieba does; using rjieba itself", library)
        path.unlink(missing_ok=True)
    return ok


def dictionary() -> Dictionary | None:
    """The cached dictionary, made on first use; None when it cannot be had (then use the full segmenter)."""
    global _dictionary
    if _dictionary is None:
        with _lock:
            if _dictionary is None:
                found: Dictionary | bool = False
                try:
                    library = _library()
                    if library is not None:
                        path = _cache_file(library)
                        if path.exists() or _make(path, library):
                            found = Dictionary(path)
                except (OSError, RuntimeError, sqlite3.Error, ValueError) as exc:
                    log.warning("jieba dictionary cache unavailable (%s); using rjieba itself", exc)
                _dictionary = found
    return _dictionary if isinstance(_dictionary, Dictionary) else None


def _substrings(text: str, longest: int) -> set[str]:
    return {text[i:j] for i in range(len(text)) for j in range(i + 1, min(len(text), i + longest) + 1)}


def cut(words: Dictionary, text: str, added: Sequence[str], empty: Callable[[], Any]) -> list[tuple[str, int, int]]:
    """jieba's tokenize of `text` (already normalised) with `added` words added in this order, as the full
    segmenter gives it (see the module's note)."""
    wanted = _substrings(text, words.longest)
    for word in added:
        wanted |= _substrings(word, words.longest)
    base = words.frequencies(wanted)
    seg = empty()
    for word, freq in base.items():
        seg.add_word(word, freq, None)
    seg.add_word(PAD, words.total - sum(base.values()), None)
    for word in added:
        seg.add_word(word, None, None)
    return list(seg.tokenize(text))
