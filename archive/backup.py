"""Backups of a whole data home as dated generations in a destination folder (a NAS mount, a USB disk).

Layout of a destination (format 2)::

    DEST/HUDANG-BACKUP.json                  marker: which data home backs up here (written by `--init`)
    DEST/units/ab/ab12…/…                    the shared store: each archive unit once, named by the SHA-256
                                             of its MANIFEST.sha256 (the hash fixity.log records), its files
                                             as they are in the archive (readable without hudang)
    DEST/20261203-023000/units.list          one generation: "<manifest hash>  <unit's path in archive/>"
    DEST/20261203-023000/home/…              the home's mutable state: catalog (SQLite online backup),
                                             web.sqlite3, secret.key, audit.log, archive/fixity.log, config,
                                             forms, templates, layouts, import profiles, quarantine, reports
    DEST/20261203-023000/BACKUP-MANIFEST.sha256   the hash of every file of home/ and of units.list
    DEST/20261203-023000/damaged/ab12…/…     a unit found changed in the archive while copying it (a file not
                                             matching its manifest, or a manifest not matching fixity.log):
                                             kept as it was, for this generation only, never in the store
    DEST/20261203-023000/backup.json         what it holds; written last, so a generation without it is partial

Archive units are written once and never changed (a move renames a record's folder, its units stay as
they were; a void or a letter sent is a new event unit), so a unit already in the store is never copied
again, wherever it now sits: a nightly generation costs the units filed that day, the catalog, and a list
of one line per unit. Files of home/ equal to the previous generation's are hard links to it.

The units are copied first without any lock; then, under the archive's writer lock, the unit list is
taken again (units filed or moved meanwhile brought in), and the catalog, the fixity and audit logs are
snapshotted, so the generation is exactly the archive at one moment while the intake service keeps
filing. The search index is not kept: it is rebuilt from the archive on restore.

A format-1 generation (the whole home with hard-linked units, before the store) is still listed,
verified and restored as it is; the first format-2 `create` fills the store from it by hard links
where its units are the archive's, and `keep` drops it in its turn.
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

from hudang.archive import audit
from hudang.archive.durable import MANIFEST, atomic_write, copy_file, fsync_dir, sha256_file, write_bytes
from hudang.archive.paths import Layout
from hudang.archive.rebuild import read_fixity_log, unit_id
from hudang.clock import now, stamp
from hudang.errors import BackupError, UsageError, os_reason

MARKER = "HUDANG-BACKUP.json"
INFO = "backup.json"
FILES_MANIFEST = "BACKUP-MANIFEST.sha256"
UNITS_LIST = "units.list"
STORE = "units"
PARTIAL = ".partial-"
INCOMING = ".incoming-"
FORMAT = 2
DAMAGED = "damaged"   # in a generation: units found changed in the archive, kept as they were, not in the store

# The home's mutable state a generation holds besides the archive's units: (path in the home, kind).
# Derived data (the search index), working folders (run/, logs/) and the intake are left out; quarantined
# files are kept, since they are nowhere else; so are the layouts of printed blanks (a scan of a blank
# printed years ago is read by its stored layout).
HOME_FILES = ("config.toml", "secret.key")
AUDIT_LOG = "audit.log"   # appended to by every process: copied under its own lock
HOME_FOLDERS = ("forms", "templates", "import-profiles", "quarantine", "reports", "layouts")
SQLITE_FILES = ("catalog.sqlite", "web.sqlite3")
ARCHIVE_FILES = ("fixity.log",)   # appended to: state, not a unit


@dataclass
class Copied:
    files: int = 0
    linked: int = 0
    bytes: int = 0
    units_new: int = 0
    units_shared: int = 0


@dataclass(frozen=True)
class Generation:
    name: str
    path: Path
    info: dict[str, Any]

    @property
    def format(self) -> int:
        try:
            return int(self.info.get("format", 1))
        except (TypeError, ValueError):
            return 1

    @property
    def dest(self) -> Path:
        return self.path.parent


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
        probe.unlink(missing_ok=True)
        raise BackupError(f"备份位置 {dest} 不可写：{os_reason(exc)}", code="backup_dest") from exc
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


# ---------------------------------------------------------------- the shared store of units

def store_path(dest: Path, digest: str) -> Path:
    """Where the store keeps the unit whose MANIFEST.sha256 hashes to ``digest``."""
    return dest / STORE / digest[:2] / digest


def _stored(dest: Path) -> set[str]:
    """Hashes of the units in the store (one listing per fan-out folder, no file read)."""
    found: set[str] = set()
    store = dest / STORE
    if store.is_dir():
        for fan in os.scandir(store):
            if len(fan.name) == 2 and fan.is_dir(follow_symlinks=False):
                found.update(e.name for e in os.scandir(fan.path) if len(e.name) == 64)
    return found


def _walk_units(archive_root: Path) -> Iterator[str]:
    """The path (inside the archive) of every unit: a folder holding a MANIFEST (staging left out)."""
    root = str(archive_root)
    for dirpath, dirnames, filenames in os.walk(root):
        if MANIFEST in filenames:
            dirnames.clear()   # a unit's own sub-folders (files/) hold no units
            yield os.path.relpath(dirpath, root).replace(os.sep, "/")
        elif dirpath == root:
            dirnames[:] = [d for d in dirnames if d != ".staging"]


Signature = tuple[int, int, int, int]


def _scan(archive_root: Path, hashes: dict[Signature, str]) -> dict[str, str]:
    """Every unit's path → the SHA-256 of its manifest. ``hashes`` remembers manifests already read by
    inode, so the second (locked) pass reads only what was filed meanwhile, and a moved unit is known."""
    units: dict[str, str] = {}
    for rel in _walk_units(archive_root):
        manifest = archive_root / rel / MANIFEST
        try:
            st = manifest.stat()
            sig = (st.st_dev, st.st_ino, st.st_mtime_ns, st.st_size)
            digest = hashes.get(sig)
            if digest is None:
                digest = hashes[sig] = hashlib.sha256(manifest.read_bytes()).hexdigest()
        except OSError:
            continue   # moved away while listing: the locked pass finds it where it went
        units[rel] = digest
    return units


def _manifest_entries(text: str) -> dict[str, str]:
    entries = {}
    for line in text.splitlines():
        digest, _, rel = line.partition("  ")
        if rel:
            entries[rel] = digest
    return entries


def _files_of(folder: Path) -> list[str]:
    found = []
    for dirpath, _, filenames in os.walk(folder):
        for name in filenames:
            path = Path(dirpath, name)
            if not path.is_symlink():
                found.append(path.relative_to(folder).as_posix())
    return sorted(found)


def _stage_unit(src: Path, staged: Path, digest: str, copied: Copied, seed: Path | None) -> list[str]:
    """Copy one unit into ``staged`` (hard links from ``seed``, the same unit in a format-1 generation,
    where it has the file). Returns the unit's files that do not match its own manifest (changed, missing
    or not listed): such a unit was damaged after filing."""
    staged.mkdir(parents=True)
    got: dict[str, str | None] = {}
    for rel in _files_of(src):
        target = staged / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if seed is not None and (seed / rel).is_file():
            try:
                os.link(seed / rel, target)
                copied.linked += 1
                got[rel] = None
                continue
            except OSError:
                pass   # another file system: copy instead
        got[rel] = copy_file(src / rel, target, sync=False)
        copied.files += 1
        copied.bytes += target.stat().st_size
    manifest = (staged / MANIFEST).read_bytes()
    if hashlib.sha256(manifest).hexdigest() != digest:
        raise FileNotFoundError(src)   # replaced while copying: never for a unit; the locked pass decides
    entries = _manifest_entries(manifest.decode("utf-8", errors="replace"))
    bad = [rel for rel, d in got.items() if rel != MANIFEST and d is not None and entries.get(rel) != d]
    return sorted(bad + [rel for rel in entries if rel not in got])


def _same_manifest(a: Path, b: Path) -> bool:
    try:
        return (a / MANIFEST).read_bytes() == (b / MANIFEST).read_bytes()
    except OSError:
        return False


def read_units(gen: Generation) -> list[tuple[str, str]]:
    """A format-2 generation's units: (manifest hash, path in the archive), in path order."""
    text = (gen.path / UNITS_LIST).read_text(encoding="utf-8", errors="surrogateescape")
    units = []
    for line in text.splitlines():
        digest, _, rel = line.partition("  ")
        if rel:
            units.append((digest, rel))
    return units


# ---------------------------------------------------------------- the home's mutable state

def _copy_tree(src: Path, dest: Path, copied: Copied, link_from: Path | None = None,
               same: Callable[[str, Path], bool] | None = None) -> None:
    """Copy a folder's files; a file ``same(rel, path)`` says is unchanged is a hard link from ``link_from``."""
    for rel in _files_of(src):
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if link_from is not None and same is not None and same(rel, src / rel):
            try:
                os.link(link_from / rel, target)
                copied.linked += 1
                continue
            except OSError:
                pass   # gone, or another file system: copy instead
        copy_file(src / rel, target, sync=False)
        copied.files += 1
        copied.bytes += target.stat().st_size


def _sqlite_copy(src: Path, dest: Path) -> None:
    """SQLite's online backup: a consistent copy while other processes keep using the database."""
    source = sqlite3.connect(f"file:{src}?mode=ro", uri=True, timeout=60)
    target = sqlite3.connect(dest)
    try:
        source.backup(target)
    finally:
        target.close()
        source.close()


def _read_files_manifest(gen: Generation | None) -> dict[str, str]:
    if gen is None or gen.format < 2:
        return {}
    try:
        return _manifest_entries((gen.path / FILES_MANIFEST).read_text(encoding="utf-8", errors="replace"))
    except OSError:
        return {}


def _files_manifest(gen_dir: Path) -> str:
    """Every file of the generation but the store's units: home/… and units.list (paths from gen_dir)."""
    lines = [f"{sha256_file(gen_dir / rel)}  {rel}"
             for rel in _files_of(gen_dir) if rel not in (FILES_MANIFEST, INFO)]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- create

@dataclass
class Created:
    generation: str
    path: Path
    copied: Copied
    units: int
    records: int
    warnings: list[str] = field(default_factory=list)


def _judge_units(archive_root: Path, fixity_log: Path, units: dict[str, str], stored: set[str],
                 staged: dict[str, Path], bad_files: dict[str, list[str]], warnings: list[str]) -> dict[str, str]:
    """Find the units changed in the archive since they were filed: a file not matching the unit's manifest
    (seen when the unit is first copied), or a manifest not matching what fixity.log (the generation's
    copy, taken under the lock) registered. A changed manifest whose registered, good unit the backup
    already holds is listed by that good unit (the generation keeps what was filed); any other changed
    unit is kept as it is but only in the generation's damaged/ folder, so the store never holds it as a
    good unit and the next backup copies the unit again (repaired, or still damaged and named again).
    Updates ``units`` and ``warnings``; returns the damaged units (manifest hash → path in the archive)."""
    registered = read_fixity_log(fixity_log).units if fixity_log.is_file() else {}
    layout = Layout(archive_root)
    damaged: dict[str, str] = {}
    for rel, digest in sorted(units.items()):
        filed = registered.get(unit_id(layout, archive_root / rel))
        if filed is not None and filed != digest:
            if filed in stored or (filed in staged and filed not in bad_files):
                units[rel] = filed
                if digest in staged and digest not in units.values():
                    shutil.rmtree(staged.pop(digest))
                warnings.append(f"档案单元 {rel} 的清单 {MANIFEST} 与校验日志登记的不符（归档后被改动）："
                                f"本代备份沿用已有备份中完好的这一单元；请运行 hudang verify 并修复档案")
                continue
            damaged[digest] = rel
            warnings.append(f"档案单元 {rel} 的清单 {MANIFEST} 与校验日志登记的不符（归档后被改动）："
                            f"原样另存在本代备份的 {DAMAGED}/{digest[:12]}… 中，不作为完好的档案单元保存；"
                            f"请运行 hudang verify 并从较早的备份修复")
        elif digest in bad_files:
            damaged[digest] = rel
            warnings.append(f"档案单元 {rel} 的文件 {'、'.join(bad_files[digest])} 与其清单不符"
                            f"（归档后被改动或损坏）：原样另存在本代备份的 {DAMAGED}/{digest[:12]}… 中，"
                            f"不作为完好的档案单元保存；请运行 hudang verify 并从较早的备份修复")
    return damaged


def clear_leftovers(dest: Path) -> None:
    """What a create cut short left in ``dest`` (killed, or the disk full): its partial generation and the units
    it had not yet named. Only with the backup lock held."""
    for stale in [*dest.glob(f"{PARTIAL}*"), *(dest / STORE).glob(f"{INCOMING}*")]:
        shutil.rmtree(stale, ignore_errors=True)


def create(home_root: Path, archive_root: Path, dest: Path, locked: Callable[[], Any]) -> Created:
    """Write one generation of the home at ``home_root`` into ``dest`` (already proven, its backup lock held).

    ``locked()`` returns a context manager holding the archive's writer lock: inside it nothing is filed."""
    name = now().strftime("%Y%m%d-%H%M%S")
    while (dest / name).exists():
        name = (now() + dt.timedelta(seconds=1)).strftime("%Y%m%d-%H%M%S")
    done_before = generations(dest)
    previous = done_before[-1] if done_before else None
    old = [g for g in done_before if g.format < 2]
    seed_root = old[-1].path / "home" / "archive" if old else None   # format 1: its units, to link from
    partial = dest / f"{PARTIAL}{name}"
    clear_leftovers(dest)
    store = dest / STORE
    store.mkdir(exist_ok=True)
    incoming = store / f"{INCOMING}{name}"
    incoming.mkdir()
    out = partial / "home"
    (out / "archive").mkdir(parents=True)
    copied = Copied()
    warnings: list[str] = []
    stored = _stored(dest)
    staged: dict[str, Path] = {}
    bad_files: dict[str, list[str]] = {}   # a staged unit's files that do not match its manifest
    hashes: dict[Signature, str] = {}

    def bring(units: dict[str, str]) -> None:
        for rel, digest in sorted(units.items()):
            if digest in stored or digest in staged:
                continue
            folder = incoming / digest
            seed = seed_root / rel if seed_root and _same_manifest(seed_root / rel, archive_root / rel) else None
            try:
                bad = _stage_unit(archive_root / rel, folder, digest, copied, seed)
            except FileNotFoundError:
                shutil.rmtree(folder, ignore_errors=True)   # moved while copying: brought in under the lock
                continue
            staged[digest] = folder
            if bad:
                bad_files[digest] = bad

    bring(_scan(archive_root, hashes))   # the bulk, while filing goes on
    with locked():
        units = _scan(archive_root, hashes)
        bring(units)
        lost = sorted(rel for rel, digest in units.items() if digest not in stored and digest not in staged)
        if lost:
            raise BackupError(f"档案单元 {lost[0]} 无法读取，备份未完成（共 {len(lost)} 个）", code="backup_unit")
        for log in ARCHIVE_FILES:
            if (archive_root / log).is_file():
                copy_file(archive_root / log, out / "archive" / log, sync=False)
        for name_ in HOME_FILES:
            if (home_root / name_).is_file():
                copy_file(home_root / name_, out / name_, sync=False)
        if (home_root / AUDIT_LOG).is_file():
            audit.snapshot(home_root / AUDIT_LOG, out / AUDIT_LOG)
        for name_ in SQLITE_FILES:
            if (home_root / name_).is_file():
                _sqlite_copy(home_root / name_, out / name_)
    damaged = _judge_units(archive_root, out / "archive" / "fixity.log", units, stored, staged, bad_files,
                           warnings)
    for digest in damaged:   # kept as it was, in this generation only: never stored as a good unit
        (partial / DAMAGED).mkdir(exist_ok=True)
        os.rename(staged.pop(digest), partial / DAMAGED / digest)
    for written in _files_of(out):   # the logs, key, config and databases just written
        copied.files += 1
        copied.bytes += (out / written).stat().st_size
    copied.units_new = len(staged)
    copied.units_shared = sum(1 for d in units.values() if d in stored)
    before = _read_files_manifest(previous)

    def unchanged_in(folder: str) -> Callable[[str, Path], bool]:
        def unchanged(rel: str, path: Path) -> bool:
            key = f"home/{folder}/{rel}"
            return key in before and sha256_file(path) == before[key]
        return unchanged

    for folder in HOME_FOLDERS:
        if (home_root / folder).is_dir():
            _copy_tree(home_root / folder, out / folder, copied,
                       previous.path / "home" / folder if previous is not None and before else None,
                       unchanged_in(folder))
    records = 0
    if (out / "catalog.sqlite").is_file():
        conn = sqlite3.connect(out / "catalog.sqlite")
        try:
            records = conn.execute("SELECT count(*) FROM records").fetchone()[0]
        except sqlite3.Error:
            records = 0
        finally:
            conn.close()
    listing = "".join(f"{digest}  {rel}\n" for rel, digest in sorted(units.items()))
    (partial / UNITS_LIST).write_bytes(listing.encode("utf-8", errors="surrogateescape"))
    write_bytes(partial / FILES_MANIFEST, _files_manifest(partial).encode("utf-8", errors="surrogateescape"))
    info = {"format": FORMAT, "generation": name, "at": stamp(), "home": str(home_root), "units": len(units),
            "units_new": copied.units_new, "units_shared": copied.units_shared, "records": records,
            "files_copied": copied.files, "files_linked": copied.linked, "bytes_copied": copied.bytes,
            "units_damaged": sorted(damaged.values())}
    write_bytes(partial / INFO, (json.dumps(info, ensure_ascii=False, indent=2) + "\n").encode("utf-8"))
    os.sync()   # every unit and file durable before any is named
    for digest, unit in staged.items():
        final = store_path(dest, digest)
        final.parent.mkdir(exist_ok=True)
        if final.exists():
            shutil.rmtree(unit)
        else:
            os.rename(unit, final)
    incoming.rmdir()
    os.sync()   # the units named in the store before the generation that lists them
    os.rename(partial, dest / name)
    fsync_dir(dest)
    return Created(name, dest / name, copied, len(units), records, warnings)


def prune(dest: Path, keep: int) -> tuple[list[str], int]:
    """Drop the oldest complete generations beyond ``keep`` and every unit of the store no generation left
    lists (the caller holds the destination's backup lock). Returns the generations dropped and how many
    units went. If a remaining generation's unit list cannot be read, no unit is removed."""
    gens = generations(dest)
    dropped = []
    for gen in gens[:max(0, len(gens) - keep)]:
        shutil.rmtree(gen.path)
        dropped.append(gen.name)
    for stale in dest.glob(f"{PARTIAL}*"):   # cut off by a crash
        shutil.rmtree(stale, ignore_errors=True)
    referenced: set[str] = set()
    for gen in generations(dest):
        if gen.format >= 2:
            try:
                referenced.update(digest for digest, _ in read_units(gen))
            except OSError:
                return dropped, 0
    removed = 0
    for digest in sorted(_stored(dest) - referenced):
        shutil.rmtree(store_path(dest, digest))
        removed += 1
    return dropped, removed


# ---------------------------------------------------------------- verify

def check_files(gen: Generation) -> list[dict[str, str]]:
    """Files outside archive units against the generation's own manifest."""
    problems = []
    manifest = gen.path / FILES_MANIFEST
    if not manifest.is_file():
        return [{"path": FILES_MANIFEST, "code": "missing", "message": "备份清单不见了"}]
    base = gen.path if gen.format >= 2 else gen.path / "home"
    for rel, digest in _manifest_entries(manifest.read_text(encoding="utf-8", errors="replace")).items():
        target = base / rel
        if not target.is_file():
            problems.append({"path": rel, "code": "missing", "message": "备份中的文件不见了"})
        elif sha256_file(target) != digest:
            problems.append({"path": rel, "code": "changed", "message": "备份中的文件内容与清单不符（被修改或损坏）"})
    return problems


UnitFindings = list[tuple[str, str, str]]   # (file in the unit, code, message)


def unit_source(gen: Generation, digest: str) -> tuple[Path, str]:
    """Where a format-2 generation keeps one of its units: the store, or (a unit found damaged in the
    archive when it was backed up) the generation's own damaged/ folder. Returns (folder, where shown)."""
    own = gen.path / DAMAGED / digest
    if not (store_path(gen.dest, digest) / MANIFEST).is_file() and own.is_dir():
        return own, f"{gen.name}/{DAMAGED}/{digest}"
    return store_path(gen.dest, digest), f"{STORE}/{digest[:2]}/{digest}"


def _check_stored_unit(folder: Path, digest: str, where: str) -> tuple[int, UnitFindings]:
    """One unit of the backup against the hash it is named by and its own manifest."""
    manifest = folder / MANIFEST
    if not manifest.is_file():
        return 0, [("", "unit_missing", f"备份中的档案单元不见了（{where}）")]
    data = manifest.read_bytes()
    if hashlib.sha256(data).hexdigest() != digest:
        return 0, [(MANIFEST, "manifest_changed", "备份中档案单元的清单被改动")]
    entries = _manifest_entries(data.decode("utf-8", errors="replace"))
    found: UnitFindings = []
    for rel, want in entries.items():
        target = folder / rel
        if not target.is_file():
            found.append((rel, "missing", "备份中的文件不见了"))
        elif sha256_file(target) != want:
            found.append((rel, "changed", "备份中的文件内容与清单不符（被修改或损坏）"))
    for rel in sorted(set(_files_of(folder)) - set(entries) - {MANIFEST}):
        found.append((rel, "unexpected", "备份的档案单元中多出了未登记的文件"))
    return len(entries), found


def check_units(gen: Generation, seen: dict[str, tuple[int, UnitFindings]] | None = None
                ) -> tuple[int, list[dict[str, str]]]:
    """A format-2 generation's units: each in the store, whole, and the list agreeing with the generation's
    fixity log (and the audit log's chain with the head it recorded). ``seen`` shares the store's
    findings between generations (`--all` reads each unit once). Returns (files checked, problems)."""
    seen = {} if seen is None else seen
    try:
        units = read_units(gen)
    except OSError:
        return 0, [{"path": UNITS_LIST, "code": "missing", "message": "备份的档案单元清单不见了"}]
    problems: list[dict[str, str]] = []
    checked = 0
    layout = Layout(Path("archive"))
    home = gen.path / "home"
    fixity = read_fixity_log(home / "archive" / "fixity.log")
    listed: set[str] = set()
    for digest, rel in units:
        folder, shown = unit_source(gen, digest)
        key = digest if folder.parent.parent == gen.dest / STORE else f"{gen.name}/{digest}"
        if key not in seen:
            seen[key] = _check_stored_unit(folder, digest, shown)
        files, found = seen[key]
        checked += files
        if folder.parent.name == DAMAGED:
            problems.append({"path": f"archive/{rel}", "code": "damaged_in_archive", "where": shown,
                             "message": "备份时档案中的这一单元已被改动或损坏（与清单或校验日志不符），"
                                        "这一代只原样保存了当时的文件"})
        for file, code, message in found:
            where = shown + (f"/{file}" if file else "")
            problems.append({"path": f"archive/{rel}" + (f"/{file}" if file else ""), "code": code,
                             "message": message, "where": where})
        uid = unit_id(layout, layout.root / rel)
        listed.add(uid)
        if uid not in fixity.units:
            problems.append({"path": f"archive/{rel}", "code": "unregistered", "message": "档案单元未在校验日志中登记"})
        elif fixity.units[uid] != digest:
            problems.append({"path": f"archive/{rel}/{MANIFEST}", "code": "manifest_changed",
                             "message": "档案单元的清单与校验日志不符"})
    for uid in sorted(set(fixity.units) - listed):
        problems.append({"path": uid, "code": "unit_missing", "message": "校验日志登记的档案单元不在这一代备份中"})
    for number in fixity.damaged:
        problems.append({"path": f"archive/fixity.log:{number}", "code": "fixity_damaged",
                         "message": f"校验日志第{number}行无法识别（被改动或损坏）"})
    for p in audit.check(home / "audit.log", fixity.audit_head):
        problems.append({"path": f"audit.log:{p.line}", "code": p.code, "message": p.message})
    return checked, problems


# ---------------------------------------------------------------- restore

def restore(gen: Generation, target: Path) -> tuple[Copied, list[dict[str, str]]]:
    """Copy a generation's home into ``target`` (absent or an empty folder), its units from the store;
    the caller rebuilds the index. Returns what was copied and the units that could not be."""
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise UsageError(f"恢复目标 {target} 必须是空文件夹或尚不存在", code="restore_target")
    copied = Copied()
    problems: list[dict[str, str]] = []
    target.mkdir(parents=True, exist_ok=True)
    _copy_tree(gen.path / "home", target, copied)
    if gen.format >= 2:
        for digest, rel in read_units(gen):
            source, shown = unit_source(gen, digest)
            if not (source / MANIFEST).is_file():
                problems.append({"path": f"archive/{rel}", "code": "unit_missing",
                                 "message": f"备份中的档案单元不见了（{shown}）"})
                continue
            _copy_tree(source, target / "archive" / rel, copied)
            copied.units_new += 1
    os.sync()
    return copied, problems
