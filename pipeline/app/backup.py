"""Backup and restore of a whole data home (`hudang backup create|verify|restore`).

A backup is taken while the intake service (and the web) keep running; restoring one gives a home
whose `verify` is clean and whose searches, figures and letter numbers continue where they were.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hudang.archive import backup
from hudang.archive.fixity import verify as verify_archive
from hudang.archive.locks import backup_lock
from hudang.clock import stamp
from hudang.errors import BackupError, UsageError, disk_full
from hudang.pipeline.app.session import Session
from hudang.settings import init_home


@dataclass(frozen=True)
class BackupMade:
    dest: str
    generation: str
    path: str
    units: int
    records: int
    units_new: int
    units_shared: int
    files_copied: int
    files_linked: int
    bytes_copied: int
    pruned: list[str]
    units_removed: int
    warnings: list[str]

    def as_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class BackupCheck:
    dest: str
    generations: list[dict[str, Any]]

    @property
    def ok(self) -> bool:
        return all(g["ok"] for g in self.generations)

    def as_json(self) -> dict[str, Any]:
        return {"dest": self.dest, "ok": self.ok, "generations": self.generations}


@dataclass(frozen=True)
class Restored:
    generation: str
    target: str
    files: int
    records: int
    indexed: int
    verify_ok: bool
    problems: list[dict[str, str]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _dest(session: Session, dest: Path | None) -> Path:
    chosen = dest or (Path(session.home.backup.dest) if session.home.backup.dest else None)
    if chosen is None:
        raise UsageError("请指定备份位置 DEST（或在 config.toml 的 [backup] dest 中设置）", code="backup_dest")
    return chosen.expanduser().absolute()   # the state and the units name it as a path from anywhere


def create(session: Session, dest: Path | None, *, init: bool = False, keep: int | None = None) -> BackupMade:
    """One new generation in ``dest``; older generations beyond ``keep`` are dropped."""
    home = session.home
    place = _dest(session, dest)
    warnings = backup.prove_destination(place, backup.home_id(home.key_path), init=init)
    if os.stat(place).st_dev == os.stat(home.root).st_dev:
        warnings.append("备份位置与数据目录在同一块磁盘上：磁盘损坏时会一起丢失，请另备一份到网络存储或移动硬盘")
    archive = session.archive
    with backup_lock(place).hold(wait=False):
        try:
            made = backup.create(home.root, home.archive, place, archive.writer)
        except OSError as exc:
            backup.clear_leftovers(place)
            if not disk_full(exc):
                raise
            raise BackupError(f"备份位置 {place} 的磁盘已写满，本次备份未完成（已清理写到一半的内容）；"
                              "之前的完整备份不受影响。请在备份位置腾出空间或换一块更大的磁盘后重新运行",
                              code="backup_full") from exc
        pruned, removed = backup.prune(place, keep if keep is not None else home.backup.keep)
    backup.save_state(home.run_dir, dest=str(place), generation=made.generation, at=stamp())
    session.audit("backup_create", dest=str(place), generation=made.generation, records=made.records)
    c = made.copied
    return BackupMade(str(place), made.generation, str(made.path), made.units, made.records, c.units_new,
                      c.units_shared, c.files, c.linked, c.bytes, pruned, removed, warnings + made.warnings)


def _check(gen: backup.Generation, seen: dict[str, Any]) -> dict[str, Any]:
    """One generation: its own files against its manifest; its units against the store (format 2) or,
    for a format-1 generation (a whole home), its archive verified where it lies."""
    problems = backup.check_files(gen)
    if gen.format >= 2:
        checked, found = backup.check_units(gen, seen)
        problems += found
    else:
        home = gen.path / "home"
        checked, fixity = verify_archive(home / "archive", home / "audit.log")
        problems += [p.as_json() for p in fixity]
    return {"generation": gen.name, "format": gen.format, "at": gen.info.get("at"),
            "records": gen.info.get("records"), "checked": checked, "ok": not problems, "problems": problems}


def verify(session: Session, dest: Path | None, *, every: bool = False) -> BackupCheck:
    """Check the latest generation (or every one) file by file against its manifests and logs."""
    place = _dest(session, dest)
    gens = backup.generations(place)
    if not gens:
        raise UsageError(f"{place} 中没有完整的备份", code="no_backup")
    seen: dict[str, Any] = {}
    with backup_lock(place).hold(wait=True):
        results = [_check(g, seen) for g in (gens if every else gens[-1:])]
    result = BackupCheck(str(place), results)
    if result.ok:
        backup.save_state(session.home.run_dir, verified_at=stamp(),
                          verified_generation=results[-1]["generation"])
    return result


def restore(dest: Path, target: Path, generation: str | None = None) -> Restored:
    """Bring back a home from a generation (the latest unless named) into an empty ``target``."""
    gens = backup.generations(dest.expanduser())
    if not gens:
        raise UsageError(f"{dest} 中没有完整的备份", code="no_backup")
    chosen = next((g for g in gens if g.name == generation), None) if generation else gens[-1]
    if chosen is None:
        raise UsageError(f"{dest} 中没有备份 {generation}（可用：{'、'.join(g.name for g in gens)}）",
                         code="no_backup")
    copied, missing = backup.restore(chosen, target)   # reads only: a read-only medium will do
    home, _ = init_home(target.resolve())
    from hudang.pipeline.intake import backlog

    with Session(home) as session:
        indexed = backlog.rebuild_index(home, session.archive.conn, session.forms,
                                        procs=min(4, os.cpu_count() or 1))
        records = session.archive.conn.execute("SELECT count(*) FROM records").fetchone()[0]
        _, problems = verify_archive(home.archive, home.audit_log)
        session.audit("backup_restore", dest=str(dest), generation=chosen.name)
    found = missing + [p.as_json() for p in problems]
    return Restored(chosen.name, str(target), copied.files, records, indexed, not found, found)


def write_timer_units(root: Path, user: str, folder: Path, dest: str | None) -> list[Path]:
    """The systemd units for a nightly backup to ``dest`` (default: config's [backup] dest) and a weekly verify."""
    from hudang.pipeline.service.unit import timer_units
    from hudang.settings import load_home

    chosen = dest if dest is not None else load_home(root).backup.dest
    if not chosen:
        raise UsageError("请用 --backup-dest 指定备份位置，或在 config.toml 的 [backup] dest 中设置", code="backup_dest")
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in timer_units(root, user, chosen).items():
        (folder / name).write_text(text, encoding="utf-8")
        written.append(folder / name)
    return written
