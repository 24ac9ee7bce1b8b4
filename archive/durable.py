"""Durable writes: fsync files and folders, and units that appear whole or not at all.

A unit is staged in ``archive/.staging`` (same file system), every file and the folder fsynced,
then renamed into place and the parent folder fsynced. A crash leaves either the whole unit or
only staging debris, which `discard_staging` clears.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import shutil
import uuid
from collections.abc import Iterable
from pathlib import Path

from hudang.crashpoints import crash_point

MANIFEST = "MANIFEST.sha256"
CHUNK = 1024 * 1024


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def write_bytes(path: Path, data: bytes) -> None:
    with open(path, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def copy_file(src: Path, dest: Path, *, sync: bool = True) -> str:
    """Copy (with fsync unless the caller syncs a whole group), returning the SHA-256 of the bytes."""
    digest = hashlib.sha256()
    with open(src, "rb") as fin, open(dest, "wb") as fout:
        while block := fin.read(CHUNK):
            digest.update(block)
            fout.write(block)
        if sync:
            fout.flush()
            os.fsync(fout.fileno())
    return digest.hexdigest()


def atomic_write(path: Path, data: bytes) -> None:
    """Replace one small file atomically (catalog-side files, never archive units)."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    write_bytes(tmp, data)
    os.replace(tmp, path)
    fsync_dir(path.parent)


def manifest_text(unit: Path) -> str:
    lines = []
    for file in sorted(p for p in unit.rglob("*") if p.is_file() and p.name != MANIFEST):
        lines.append(f"{sha256_file(file)}  {file.relative_to(unit).as_posix()}")
    return "\n".join(lines) + "\n"


def read_manifest(unit: Path) -> dict[str, str]:
    entries: dict[str, str] = {}
    for line in (unit / MANIFEST).read_text(encoding="utf-8").splitlines():
        if line.strip():
            digest, _, rel = line.partition("  ")
            entries[rel] = digest
    return entries


class UnitWriter:
    """Builds one unit in staging; `commit` moves it into place.

    Immediate mode fsyncs every file and folder itself. Deferred mode (group commit) writes without
    fsync: the caller makes the whole group durable with one `sync_filesystem` before any rename,
    and one more after the renames, instead of ~9 fsyncs per record.
    """

    def __init__(self, staging_root: Path, *, deferred: bool = False) -> None:
        staging_root.mkdir(parents=True, exist_ok=True)
        self.path = staging_root / uuid.uuid4().hex
        self.path.mkdir()
        self.deferred = deferred
        self.digests: dict[str, str] = {}

    def add_bytes(self, name: str, data: bytes) -> Path:
        dest = self.path / name
        dest.parent.mkdir(parents=True, exist_ok=True)
        if self.deferred:
            dest.write_bytes(data)
        else:
            write_bytes(dest, data)
        self.digests[name] = hashlib.sha256(data).hexdigest()
        return dest

    def add_file(self, name: str, src: Path, digest: str | None = None) -> str:
        """Add a file; a private snapshot whose digest is known is hard-linked instead of copied."""
        dest = self.path / name
        dest.parent.mkdir(parents=True, exist_ok=True)
        if self.deferred and digest:
            try:
                os.link(src, dest)
                self.digests[name] = digest
                return digest
            except OSError:
                pass  # another file system: copy instead
        self.digests[name] = copy_file(src, dest, sync=not self.deferred)
        return self.digests[name]

    def seal(self) -> str:
        """Write the manifest (from digests taken while writing) and, unless deferred, fsync the unit."""
        lines = [f"{digest}  {name}" for name, digest in sorted(self.digests.items())]
        text = ("\n".join(lines) + "\n").encode("utf-8")
        if self.deferred:
            (self.path / MANIFEST).write_bytes(text)
        else:
            write_bytes(self.path / MANIFEST, text)
            for folder in sorted({p.parent for p in self.path.rglob("*")} | {self.path}, reverse=True):
                fsync_dir(folder)
        return hashlib.sha256(text).hexdigest()

    def commit(self, dest: Path) -> None:
        """Rename the sealed unit into place; refuses to overwrite anything."""
        dest.parent.mkdir(parents=True, exist_ok=True)
        if dest.exists():
            raise FileExistsError(dest)
        crash_point("before_unit_rename")
        os.rename(self.path, dest)
        crash_point("after_unit_rename")
        if not self.deferred:
            fsync_dir(dest.parent)

    def discard(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


_libc: ctypes.CDLL | None = None


def sync_filesystem(path: Path) -> None:
    """Make everything written on ``path``'s file system durable (syncfs(2); sync(2) where absent)."""
    global _libc
    if _libc is None:
        _libc = ctypes.CDLL(None, use_errno=True)
    syncfs = getattr(_libc, "syncfs", None)
    if syncfs is None:
        os.sync()
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        if syncfs(fd) != 0:  # a write-back error: nothing of this group may be reported filed
            err = ctypes.get_errno()
            raise OSError(err, f"syncfs failed: {os.strerror(err)}", str(path))
    finally:
        os.close(fd)


def discard_staging(staging_root: Path) -> int:
    """Remove staging debris left by a crash: none of it was ever part of the archive."""
    if not staging_root.is_dir():
        return 0
    count = 0
    for entry in staging_root.iterdir():
        shutil.rmtree(entry, ignore_errors=True) if entry.is_dir() else entry.unlink(missing_ok=True)
        count += 1
    return count


def make_dirs_durable(path: Path, stop: Path) -> None:
    """Create ``path`` and fsync each new folder's parent up to ``stop``."""
    missing: list[Path] = []
    cur = path
    while not cur.exists() and cur != stop:
        missing.append(cur)
        cur = cur.parent
    for folder in reversed(missing):
        folder.mkdir(exist_ok=True)
        fsync_dir(folder.parent)


def append_line(path: Path, line: str) -> None:
    """Append line(s) durably; a line torn by a power cut is ended first, never joined to the next."""
    if not line:
        return
    with open(path, "ab+") as fh:
        fh.seek(0, os.SEEK_END)
        torn = False
        if fh.tell() > 0:
            fh.seek(-1, os.SEEK_END)
            torn = fh.read(1) != b"\n"
        fh.write((b"\n" if torn else b"") + line.rstrip("\n").encode("utf-8") + b"\n")
        fh.flush()
        os.fsync(fh.fileno())


def count_lines(path: Path) -> int:
    if not path.exists():
        return 0
    count = 0
    with open(path, "rb") as fh:
        while block := fh.read(CHUNK):
            count += block.count(b"\n")
    return count


def fixity_mark(path: Path | None) -> str:
    """Where the fixity log stands: its line count and a hash of its last line (a catalog made from
    another archive, or restored from an old backup, does not match by chance)."""
    if path is None or not path.exists():
        return "0"
    lines = count_lines(path)
    with open(path, "rb") as fh:
        fh.seek(max(0, path.stat().st_size - 512))
        tail = fh.read().rstrip(b"\n").rsplit(b"\n", 1)[-1]
    return f"{lines}:{hashlib.sha256(tail).hexdigest()[:16]}"


def iter_units(paths: Iterable[Path]) -> Iterable[Path]:
    for p in paths:
        if (p / MANIFEST).is_file():
            yield p
