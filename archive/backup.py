"""Backups of a whole data home as dated generations in a destination folder (a NAS mount, a USB disk).

Layout of a destination::

    DEST/HUDANG-BACKUP.json            marker: which data home backs up here (written by `--init`)
    DEST/20261203-023000/home/…        one generation: the data home as it was, minus derived parts
    DEST/20261203-023000/backup.json   what it holds; written last, so a generation without it is partial
    DEST/20261203-023000/BACKUP-MANIFEST.sha256   every file of the generation outside archive units

Archive units never change once filed, so a unit already in the previous generation with the same
manifest hash is hard-linked, not copied: a nightly generation costs what was filed that day. The
catalog (and the web's user database) are copied with SQLite's online backup. The units are copied
first without any lock; then, under the archive's writer lock, the catalog, the fixity and audit logs
are snapshotted and the units filed or moved meanwhile brought in step, so the generation is exactly
the archive at one moment while the intake service keeps filing. The search index is not kept: it is
rebuilt from the archive on restore.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hudang.archive.durable import MANIFEST, atomic_write, copy_file, fsync_dir, sha256_file, write_bytes
from hudang.clock import now, stamp
from hudang.errors import BackupError, UsageError

MARKER = "HUDANG-BACKUP.json"
INFO = "backup.json"
FILES_MANIFEST = "BACKUP-MANIFEST.sha256"
PARTIAL = ".partial-"
FORMAT = 1

# What a generation holds besides the archive: (path in the home, kind). Derived data (the search
# index), working folders (run/, logs/) and the intake are left out; quarantined files are kept,
# since they are nowhere else; so are the layouts of printed blanks (a scan of a blank printed years ago is
# read by its stored layout).
HOME_FILES = ("config.toml", "secret.key", "audit.log")
HOME_FOLDERS = ("forms", "templates", "import-profiles", "quarantine", "reports", "layouts")
SQLITE_FILES = ("catalog.sqlite", "web.sqlite3")


@dataclass
class Copied:
    files: int = 0
    linked: int = 0
    bytes: int = 0


@dataclass(frozen=True)
class Generation:
    name: str
    path: Path
    info: dict[str, Any]


STATE = "backup.json"   # in the home's run/ folder: the last good backup, for `status`


def save_state(run_dir: Path, **update: Any) -> None:
    state = last_state(run_dir) or {}
    state.update(update)
    run_dir.mkdir(parents=True, exist_ok=True)
    atomic_write(run_dir / STATE, (json.dumps(state, ensure_ascii=False, indent=2) + "\n").encode("utf-8"))


def last_state(run_dir: Path) -> dict[str, Any] | None:
    """The last good backup (dest, generation, at, verified_at) with its age in days, or None."""
    try:
        data = json.loads((run_dir / STATE).read_text(encoding="utf-8"))
        age = (now() - dt.datetime.fromisoformat(data["at"])).total_seconds() / 86400
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return {**data, "age_days": round(age, 1)}


def home_id(secret_key: Path) -> str:
    """A data home's identity for the marker: a hash of its secret key (never the key itself)."""
    return hashlib.sha256(secret_key.read_bytes().strip()).hexdigest()[:16]


def prove_destination(dest: Path, home_identity: str, *, init: bool) -> list[str]:
    """Refuse a place we cannot prove is the backup disk: absent, not writable, or an empty mount point
    of a NAS that is not mounted (no marker). Returns warnings."""
    if not dest.is_dir():
        raise UsageError(f"备份位置 {dest} 不存在或不是文件夹（网络存储或移动硬盘是否已挂载？）", code="backup_dest")
    marker = dest / MARKER
    if marker.is_file():
        try:
            owner = json.loads(marker.read_text(encoding="utf-8")).get("home_id")
        except (OSError, ValueError) as exc:
            raise BackupError(f"备份位置 {dest} 的标记文件 {MARKER} 已损坏", code="backup_dest") from exc
        if owner != home_identity:
            raise UsageError(f"备份位置 {dest} 属于另一个数据目录，不能混用", code="backup_dest")
    elif not init:
        raise UsageError(f"{dest} 不是已初始化的备份位置（没有 {MARKER}）：网络存储或移动硬盘可能没有挂载。"
                         f"首次备份到这里请加 --init", code="backup_dest")
    elif any(p.name != "lost+found" for p in dest.iterdir()):
        raise UsageError(f"备份位置 {dest} 不是空文件夹，不能初始化为备份位置", code="backup_dest")
    probe = dest / f".hudang-probe-{os.getpid()}"
    try:
        write_bytes(probe, b"probe")
        probe.unlink()
    except OSError as exc:
        raise BackupError(f"备份位置 {dest} 不可写：{exc.strerror or exc}", code="backup_dest") from exc
    if not marker.is_file():
        write_bytes(marker, json.dumps({"format": FORMAT, "home_id": home_identity, "created": stamp()},
                                       ensure_ascii=False).encode("utf-8"))
        fsync_dir(dest)
    return []


def generations(dest: Path) -> list[Generation]:
    """Complete generations, oldest first (a partial one, cut off by a crash, is not listed)."""
    found = []
    if dest.is_dir():
        for sub in sorted(dest.iterdir()):
            if sub.is_dir() and not sub.name.startswith(".") and (sub / INFO).is_file():
                try:
                    info = json.loads((sub / INFO).read_text(encoding="utf-8"))
                except (OSError, ValueError):
                    continue
                found.append(Generation(sub.name, sub, info))
    return found


def _units(archive_root: Path) -> Iterator[Path]:
    """Every folder holding a MANIFEST under the archive (record versions, events, imports, estate units)."""
    for manifest in archive_root.rglob(MANIFEST):
        rel = manifest.parent.relative_to(archive_root)
        if rel.parts and rel.parts[0] != ".staging":
            yield manifest.parent


def _signature(unit: Path) -> tuple[int, int, int] | None:
    """A unit's identity without reading it: units never change, so the same manifest file is the same unit."""
    try:
        st = (unit / MANIFEST).stat()
    except OSError:
        return None
    return (st.st_ino, st.st_mtime_ns, st.st_size)


def _same_manifest(a: Path, b: Path) -> bool:
    try:
        return (a / MANIFEST).read_bytes() == (b / MANIFEST).read_bytes()
    except OSError:
        return False


def _copy_tree(src: Path, dest: Path, copied: Copied, link_from: Path | None = None) -> None:
    """Copy a folder's files (hard links from ``link_from`` where it has the same file)."""
    for path in sorted(src.rglob("*")):
        if path.is_symlink() or not path.is_file():
            continue
        rel = path.relative_to(src)
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if link_from is not None and (link_from / rel).is_file():
            try:
                os.link(link_from / rel, target)
                copied.linked += 1
                continue
            except OSError:
                pass  # another file system: copy instead
        copy_file(path, target, sync=False)
        copied.files += 1
        copied.bytes += path.stat().st_size


Signature = tuple[int, int, int]


def _sync_units(archive_root: Path, out_archive: Path, previous: Path | None, copied: Copied,
                done: dict[str, Signature]) -> int:
    """Bring ``out_archive``'s units in step with the archive as it is now; returns how many units."""
    now_units: dict[str, Signature] = {}
    for unit in _units(archive_root):
        sig = _signature(unit)
        if sig is not None:  # else moved away while listing: the locked pass brings it in
            now_units[unit.relative_to(archive_root).as_posix()] = sig
    for rel in set(done) - set(now_units):  # moved or gone since the unlocked pass
        shutil.rmtree(out_archive / rel, ignore_errors=True)
        del done[rel]
    for rel, sig in sorted(now_units.items()):
        if done.get(rel) == sig:
            continue
        link = None
        if previous is not None and _same_manifest(previous / rel, archive_root / rel):
            link = previous / rel
        target = out_archive / rel
        if target.exists():
            shutil.rmtree(target)
        _copy_tree(archive_root / rel, target, copied, link)
        done[rel] = sig
    return len(now_units)


def _sqlite_copy(src: Path, dest: Path) -> None:
    """SQLite's online backup: a consistent copy while other processes keep using the database."""
    source = sqlite3.connect(f"file:{src}?mode=ro", uri=True, timeout=60)
    target = sqlite3.connect(dest)
    try:
        source.backup(target)
    finally:
        target.close()
        source.close()


def _files_manifest(root: Path, skip: Path) -> str:
    lines = []
    for path in sorted(root.rglob("*")):
        if path.is_file() and skip not in path.parents:
            lines.append(f"{sha256_file(path)}  {path.relative_to(root).as_posix()}")
    return "\n".join(lines) + "\n"


@dataclass
class Created:
    generation: str
    path: Path
    copied: Copied
    units: int
    records: int
    warnings: list[str] = field(default_factory=list)


def create(home_root: Path, archive_root: Path, dest: Path, locked: Callable[[], Any]) -> Created:
    """Write one generation of the home at ``home_root`` into ``dest`` (already proven).

    ``locked()`` returns a context manager holding the archive's writer lock: inside it nothing is filed."""
    name = now().strftime("%Y%m%d-%H%M%S")
    while (dest / name).exists():
        name = (now() + dt.timedelta(seconds=1)).strftime("%Y%m%d-%H%M%S")
    done_before = generations(dest)
    previous = done_before[-1].path / "home" / "archive" if done_before else None
    partial = dest / f"{PARTIAL}{name}"
    shutil.rmtree(partial, ignore_errors=True)
    out = partial / "home"
    out_archive = out / "archive"
    out_archive.mkdir(parents=True)
    copied = Copied()
    done: dict[str, Signature] = {}
    _sync_units(archive_root, out_archive, previous, copied, done)  # the bulk, while filing goes on
    with locked():
        units = _sync_units(archive_root, out_archive, previous, copied, done)
        for log in ("fixity.log",):
            if (archive_root / log).is_file():
                copy_file(archive_root / log, out_archive / log, sync=False)
        for name_ in HOME_FILES:
            if (home_root / name_).is_file():
                copy_file(home_root / name_, out / name_, sync=False)
        for name_ in SQLITE_FILES:
            if (home_root / name_).is_file():
                _sqlite_copy(home_root / name_, out / name_)
    for folder in HOME_FOLDERS:
        if (home_root / folder).is_dir():
            _copy_tree(home_root / folder, out / folder, copied)
    records = 0
    if (out / "catalog.sqlite").is_file():
        conn = sqlite3.connect(out / "catalog.sqlite")
        try:
            records = conn.execute("SELECT count(*) FROM records").fetchone()[0]
        except sqlite3.Error:
            records = 0
        finally:
            conn.close()
    write_bytes(partial / FILES_MANIFEST, _files_manifest(out, out_archive).encode("utf-8"))
    info = {"format": FORMAT, "generation": name, "at": stamp(), "home": str(home_root), "units": units,
            "records": records, "files_copied": copied.files, "files_linked": copied.linked,
            "bytes_copied": copied.bytes}
    write_bytes(partial / INFO, (json.dumps(info, ensure_ascii=False, indent=2) + "\n").encode("utf-8"))
    os.sync()  # every file of the generation durable before it is named complete
    os.rename(partial, dest / name)
    fsync_dir(dest)
    return Created(name, dest / name, copied, units, records)


def prune(dest: Path, keep: int) -> list[str]:
    """Drop the oldest complete generations beyond ``keep`` (hard links keep shared units alive)."""
    gens = generations(dest)
    dropped = []
    for gen in gens[:max(0, len(gens) - keep)]:
        shutil.rmtree(gen.path)
        dropped.append(gen.name)
    return dropped


@dataclass(frozen=True)
class GenerationCheck:
    generation: str
    problems: list[dict[str, str]]

    @property
    def ok(self) -> bool:
        return not self.problems


def check_files(gen: Generation) -> list[dict[str, str]]:
    """Files outside archive units against the generation's own manifest."""
    problems = []
    manifest = gen.path / FILES_MANIFEST
    if not manifest.is_file():
        return [{"path": FILES_MANIFEST, "code": "missing", "message": "备份清单不见了"}]
    home = gen.path / "home"
    listed = set()
    for line in manifest.read_text(encoding="utf-8", errors="replace").splitlines():
        digest, _, rel = line.partition("  ")
        if not rel:
            continue
        listed.add(rel)
        target = home / rel
        if not target.is_file():
            problems.append({"path": rel, "code": "missing", "message": "备份中的文件不见了"})
        elif sha256_file(target) != digest:
            problems.append({"path": rel, "code": "changed", "message": "备份中的文件内容与清单不符（被修改或损坏）"})
    return problems


def restore(gen: Generation, target: Path) -> Copied:
    """Copy a generation's home into ``target`` (absent or an empty folder); the caller rebuilds the index."""
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise UsageError(f"恢复目标 {target} 必须是空文件夹或尚不存在", code="restore_target")
    copied = Copied()
    target.mkdir(parents=True, exist_ok=True)
    _copy_tree(gen.path / "home", target, copied)
    os.sync()
    return copied
