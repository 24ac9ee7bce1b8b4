"""The audit log: who did what to which record, when — one JSON line per action, in the data home.

Every change, reveal and release of personal data is written here by the application layer (never
by a door: the CLI and the web pass the user in). Free text is masked; hashes are kept as they are.

The log is tamper-evident: each entry carries ``n`` (its line number) and ``prev``, the SHA-256 of
the line before it, so a changed or removed entry breaks the chain. Lines written before the chain
existed are sealed by the first chained entry (``prev`` is the hash of everything before it). The
archive's fixity log records the chain's head at each group commit, so a cut-off tail is caught too.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hudang.archive.locks import FileLock
from hudang.clock import stamp
from hudang.forms.values import mask_text

UNMASKED_KEYS = frozenset({"sha256"})
HEAD_PREFIX = "audit/"   # a fixity-log line `<hash>  audit/<n>` records the chain's head
_TAIL_BLOCK = 4096


@dataclass(frozen=True)
class Head:
    """The chain's latest entry: its line number and the SHA-256 of its line."""

    n: int
    digest: str

    def fixity_line(self) -> str:
        return f"{self.digest}  {HEAD_PREFIX}{self.n}"


def line_hash(line: bytes) -> str:
    return hashlib.sha256(line.rstrip(b"\n")).hexdigest()


def _locked(log: Path) -> FileLock:
    """Appends from several processes (the CLI, the service, the web) take turns."""
    return FileLock(log.with_name(log.name + ".lock"), "审计日志正被进程 {pid} 写入")


def _last_line(fh: Any, size: int) -> bytes:
    """The file's last complete line, read from the end (the log may be large)."""
    end = size
    buf = b""
    while end > 0:
        start = max(0, end - _TAIL_BLOCK)
        fh.seek(start)
        buf = fh.read(end - start) + buf
        end = start
        stripped = buf.rstrip(b"\n")
        if b"\n" in stripped:
            return stripped.rsplit(b"\n", 1)[1]
    return buf.rstrip(b"\n")


def _chained(line: bytes) -> dict[str, Any] | None:
    try:
        entry = json.loads(line)
    except ValueError:
        return None
    if isinstance(entry, dict) and isinstance(entry.get("n"), int) and isinstance(entry.get("prev"), str):
        return entry
    return None


def _count_lines(fh: Any) -> int:
    fh.seek(0)
    return sum(block.count(b"\n") for block in iter(lambda: fh.read(1 << 20), b""))


def _next_link(fh: Any) -> tuple[int, str]:
    """The ``n`` and ``prev`` of the entry to append: after a chained line, its successor; after
    unchained (older) lines, a seal over all of them."""
    size = fh.seek(0, os.SEEK_END)
    if size == 0:
        return 1, hashlib.sha256(b"").hexdigest()
    last = _last_line(fh, size)
    entry = _chained(last)
    if entry is not None:
        return entry["n"] + 1, line_hash(last)
    fh.seek(0)
    digest = hashlib.sha256()
    for block in iter(lambda: fh.read(1 << 20), b""):
        digest.update(block)
    return _count_lines(fh) + 1, digest.hexdigest()


def append(log: Path, user: str, action: str, **detail: Any) -> None:
    """Append one entry, chained to the one before it."""
    masked = {k: mask_text(v) if isinstance(v, str) and k not in UNMASKED_KEYS else v for k, v in detail.items()}
    with _locked(log).hold(wait=True):
        with open(log, "ab+") as fh:
            if fh.seek(0, os.SEEK_END) > 0:
                fh.seek(-1, os.SEEK_END)
                if fh.read(1) != b"\n":  # a line torn by a power cut is ended, never joined to ours
                    fh.write(b"\n")
            n, prev = _next_link(fh)
            entry = {"at": stamp(), "user": user, "action": action, **masked, "n": n, "prev": prev}
            line = json.dumps(entry, ensure_ascii=False).encode("utf-8", "backslashreplace")
            fh.write(line + b"\n")
            fh.flush()
            os.fsync(fh.fileno())
    os.chmod(log, 0o600)


def head(log: Path) -> Head | None:
    """The chain's head, for the fixity log (None while no entry is chained)."""
    if not log.is_file():
        return None
    with _locked(log).hold(wait=True), open(log, "rb") as fh:
        size = fh.seek(0, os.SEEK_END)
        if size == 0:
            return None
        last = _last_line(fh, size)
    entry = _chained(last)
    return Head(entry["n"], line_hash(last)) if entry else None


def snapshot(log: Path, dest: Path) -> None:
    """Copy the log between two appends (a backup while the web and the service write to it)."""
    from hudang.archive.durable import copy_file

    with _locked(log).hold(wait=True):
        copy_file(log, dest, sync=False)


@dataclass(frozen=True)
class AuditProblem:
    line: int
    code: str
    message: str


def check(log: Path, recorded: Head | None) -> list[AuditProblem]:
    """Walk the chain; ``recorded`` is the latest head the fixity log holds."""
    if not log.is_file():
        return [AuditProblem(0, "audit_missing", "审计日志不见了")] if recorded else []
    data = log.read_bytes()
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    problems: list[AuditProblem] = []
    hashes: dict[int, str] = {}
    offset = 0
    previous: bytes | None = None
    for number, raw in enumerate(lines, 1):
        entry = _chained(raw)
        if entry is not None:
            if entry["n"] != number:
                problems.append(AuditProblem(number, "audit_removed",
                                             f"审计日志第{number}行前有记录被删除或插入（本行序号为 {entry['n']}）"))
            expected = (line_hash(previous) if previous is not None and _chained(previous) is not None
                        else hashlib.sha256(data[:offset]).hexdigest())
            if entry["prev"] != expected:
                problems.append(AuditProblem(number, "audit_changed",
                                             f"审计日志第{number}行之前的记录被改动或删除（哈希链断开）"))
            hashes[entry["n"]] = line_hash(raw)
        elif previous is not None and _chained(previous) is not None:
            problems.append(AuditProblem(number, "audit_changed", f"审计日志第{number}行被改动（不在哈希链中）"))
        offset += len(raw) + 1
        previous = raw
    if recorded is not None:
        if recorded.n not in hashes:
            problems.append(AuditProblem(recorded.n, "audit_truncated",
                                         f"审计日志末尾被截断：校验日志记录到第{recorded.n}条，现只有 {len(lines)} 行"))
        elif hashes[recorded.n] != recorded.digest:
            problems.append(AuditProblem(recorded.n, "audit_changed",
                                         f"审计日志第{recorded.n}条与校验日志记录的哈希不符"))
    return problems


def entries(log: Path) -> list[dict[str, Any]]:
    """Every entry, oldest first (a line that is not JSON is skipped: `verify` reports damage)."""
    if not log.is_file():
        return []
    out = []
    for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:
            continue
    return out
