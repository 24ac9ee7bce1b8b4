"""The household archive: filing records, versions, events and attachments as durable units.

The archive folder is the source of truth. Each write builds a unit in staging, seals it with a
manifest, renames it into place and logs the manifest's hash in ``fixity.log``; only then is the
catalog told. A crash at any point leaves whole units or none, and `recover` makes the catalog
agree with what is on disk.
"""

from __future__ import annotations

import fcntl
import json
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hudang import __version__
from hudang.archive import catalog
from hudang.archive.durable import (
    UnitWriter,
    append_line,
    atomic_write,
    discard_staging,
    fsync_dir,
    make_dirs_durable,
    sha256_file,
)
from hudang.archive.estates import Estates, Place, normalize_name
from hudang.archive.paths import Layout, safe_component, safe_filename
from hudang.clock import now, stamp
from hudang.crashpoints import crash_point
from hudang.errors import HudangError, LockBusy, NotFound, UsageError
from hudang.settings import Home


@dataclass
class Filing:
    """A validated record ready to file (made by the pipeline)."""

    form_id: str
    form_code: str
    place: Place
    values: dict[str, str]
    raw: dict[str, str]
    text: str
    provenance: dict[str, Any]
    original: Path | None = None          # snapshot of the received file (None for a batch row)
    number: str | None = None             # 编号, the key of versions
    form_date: str | None = None          # YYYY-MM-DD
    warnings: list[dict[str, Any]] = field(default_factory=list)
    review: list[str] = field(default_factory=list)


@dataclass
class Filed:
    record_id: str
    version: int
    archive_no: str
    place: Place
    moved_from: str | None = None
    duplicate_of: str | None = None       # set when the bytes were already archived


def _json_bytes(value: Any) -> bytes:
    return (json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode("utf-8")


class Archive:
    """One data home's archive and catalog. Writers must hold `writer()`; readers need nothing."""

    def __init__(self, home: Home) -> None:
        self.home = home
        self.layout = Layout(home.archive)
        self.conn = catalog.connect(home.catalog_path)
        self.estates = Estates(self.conn)
        self._lock_fd: int | None = None

    def close(self) -> None:
        self.conn.close()

    # ---- the writer lock ----

    @contextmanager
    def writer(self, wait: bool = True) -> Iterator[Archive]:
        """One writer per data home at a time (an ingest beside the watcher waits its turn)."""
        self.home.run_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.home.run_dir / "writer.lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            pid = os.pread(fd, 32, 0).decode(errors="ignore").strip()
            os.close(fd)
            raise LockBusy(f"另一个 hudang 进程（PID {pid or '未知'}）正在写入档案，请稍后再试") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        self._lock_fd = fd
        try:
            self.recover()
            yield self
        finally:
            self._lock_fd = None
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def _require_lock(self) -> None:
        if self._lock_fd is None:
            raise HudangError("internal: archive write without the writer lock")

    # ---- recovery ----

    @property
    def _journal(self) -> Path:
        return self.home.run_dir / "journal.json"

    def recover(self) -> None:
        """Finish what a crashed writer left: drop staging, finish moves, re-catalog touched records."""
        from hudang.archive.rebuild import catalog_record_dir, logged_units, unit_id

        discard_staging(self.layout.staging)
        if not self._journal.exists():
            return
        entries = json.loads(self._journal.read_text(encoding="utf-8") or "[]")
        logged = logged_units(self.layout)
        with catalog.transaction(self.conn):
            for entry in entries:
                record_dir = self.layout.root / entry["record_dir"]
                if entry.get("move_to"):
                    target = self.layout.root / entry["move_to"]
                    if record_dir.exists() and not target.exists() and (record_dir / entry["event"]).exists():
                        make_dirs_durable(target.parent, self.layout.root)
                        os.rename(record_dir, target)
                        fsync_dir(target.parent)
                        fsync_dir(record_dir.parent)
                    record_dir = target if target.exists() else record_dir
                if not record_dir.exists():
                    continue
                for unit in sorted(p for p in record_dir.iterdir() if p.is_dir()):
                    uid = unit_id(self.layout, unit)
                    if uid not in logged and (unit / "MANIFEST.sha256").exists():
                        append_line(self.layout.fixity_log, f"{sha256_file(unit / 'MANIFEST.sha256')}  {uid}")
                catalog_record_dir(self.conn, self.layout, record_dir)
            for entry in entries:
                if entry.get("import_dir"):
                    from hudang.archive.rebuild import catalog_import_dir
                    unit = self.layout.root / entry["import_dir"]
                    if unit.exists():
                        uid = unit_id(self.layout, unit)
                        if uid not in logged:
                            append_line(self.layout.fixity_log, f"{sha256_file(unit / 'MANIFEST.sha256')}  {uid}")
                        catalog_import_dir(self.conn, self.layout, unit)
        self._journal.unlink()

    def _write_journal(self, entries: list[dict[str, Any]]) -> None:
        atomic_write(self._journal, json.dumps(entries, ensure_ascii=False).encode("utf-8"))

    def _seal_and_place(self, writer: UnitWriter, dest: Path) -> None:
        manifest_hash = writer.seal()
        make_dirs_durable(dest.parent, self.layout.root)
        writer.commit(dest)
        from hudang.archive.rebuild import unit_id
        append_line(self.layout.fixity_log, f"{manifest_hash}  {unit_id(self.layout, dest)}")

    # ---- estates ----

    def add_estate(self, name: str, aliases: list[str] | None = None, code: str | None = None) -> dict[str, Any]:
        """Create an estate, or add aliases to one; written as an estate unit."""
        self._require_lock()
        name = name.strip()
        canonical = self.estates.resolve(name)
        if canonical is None:
            from hudang.forms.values import to_simplified
            canonical = to_simplified(name)
        existing = self.conn.execute("SELECT code FROM estates WHERE name = ?", (canonical,)).fetchone()
        aliases = [a.strip() for a in (aliases or []) if a.strip()]
        for alias in aliases:
            owner = self.estates.resolve(alias)
            if owner and owner != canonical:
                raise UsageError(f"别名“{alias}”已属于项目“{owner}”")
        if existing:
            code = existing["code"]
            if not [a for a in aliases if self.estates.resolve(a) != canonical]:
                return {"name": canonical, "code": code, "created": False}
        elif code is None:
            n = self.conn.execute("SELECT COUNT(*) AS n FROM estates").fetchone()["n"]
            code = f"E{n + 1:02d}"
        elif self.conn.execute("SELECT 1 FROM estates WHERE code = ?", (code,)).fetchone():
            raise UsageError(f"项目代码 {code} 已被使用")
        if name != canonical:
            aliases.append(name)  # e.g. the Traditional spelling it was given in
        unit = {"name": canonical, "code": code, "aliases": sorted(set(aliases)), "at": stamp(),
                "action": "alias" if existing else "create"}
        units_dir = self.layout.estate_units(canonical)
        seq = len(list(units_dir.iterdir())) + 1 if units_dir.exists() else 1
        writer = UnitWriter(self.layout.staging)
        writer.add_bytes("estate.json", _json_bytes(unit))
        self._seal_and_place(writer, units_dir / f"{seq:04d}")
        with catalog.transaction(self.conn):
            catalog.put_estate(self.conn, unit, normalize_name)
        return {"name": canonical, "code": code, "created": not existing}

    # ---- imports (rosters, ledgers, reminder logs, batch files) ----

    def file_import(self, kind: str, source: Path, provenance: dict[str, Any], rows: list[dict[str, Any]],
                    form: str | None = None) -> str:
        self._require_lock()
        import_id = catalog.next_number(self.conn, "I", "imports", "import_id")
        meta = {"import_id": import_id, "kind": kind, "form": form, "rows": rows, **provenance,
                "hudang_version": __version__}
        writer = UnitWriter(self.layout.staging)
        writer.add_file("original" + Path(provenance["source_name"]).suffix.lower()[:10], source)
        writer.add_bytes("import.json", _json_bytes(meta))
        dest = self.layout.imports(now().year, import_id)
        self._write_journal([{"import_dir": self.layout.relative(dest)}])
        self._seal_and_place(writer, dest)
        crash_point("before_catalog")
        with catalog.transaction(self.conn):
            catalog.put_import(self.conn, meta, self.layout.relative(dest))
        self._journal.unlink()
        return import_id

    def known_original(self, sha256: str) -> str | None:
        row = self.conn.execute("SELECT ref FROM originals WHERE sha256 = ?", (sha256,)).fetchone()
        return str(row["ref"]) if row else None

    # ---- records ----

    def file(self, filings: list[Filing]) -> list[Filed]:
        """File a group of records; all are durable before any is reported filed."""
        self._require_lock()
        plans: list[tuple[Filing, dict[str, Any]]] = []
        results: list[Filed] = []
        pending_numbers: dict[tuple[str, str, str], dict[str, Any]] = {}
        pending_originals: dict[str, str] = {}
        pending_serials: dict[tuple[str, int, str], int] = {}
        next_rid = int(catalog.next_number(self.conn, "R", "records", "record_id")[1:])
        for item in filings:
            sha = item.provenance.get("sha256")
            if sha and item.provenance.get("batch"):
                sha = f"{sha}:{item.provenance['batch']['row']}"
            if sha:
                dup = self.known_original(sha) or pending_originals.get(sha)
                if dup:
                    results.append(Filed("", 0, "", item.place, duplicate_of=dup))
                    continue
            plan = self._plan(item, pending_numbers, pending_serials, next_rid)
            plan["household"] = item.place.key
            if plan["new"]:
                next_rid += 1
            if item.number:
                pending_numbers[(item.form_id, item.place.estate, item.number)] = plan
            if sha:
                pending_originals[sha] = f"{plan['record_id']}/v{plan['version']}"
            plans.append((item, plan))
            results.append(Filed(plan["record_id"], plan["version"], plan["archive_no"], item.place,
                                 moved_from=plan.get("moved_from")))
        journal = [{"record_dir": plan["dir_rel"], **({"move_to": plan["move_to_rel"], "event": plan["event"]}
                    if plan.get("move_to_rel") else {})} for _, plan in plans]
        self._write_journal(journal)
        crash_point("after_journal")
        for item, plan in plans:
            self._write_version(item, plan)
        crash_point("before_catalog")
        from hudang.archive.rebuild import catalog_record_dir
        with catalog.transaction(self.conn):
            for path in dict.fromkeys(self.layout.root / p["final_dir_rel"] for _, p in plans):
                if path.exists():  # a record moved again later in the same group is cataloged at its last place
                    catalog_record_dir(self.conn, self.layout, path)
        crash_point("after_catalog")
        self._journal.unlink(missing_ok=True)
        return results

    def _plan(self, item: Filing, pending_numbers: dict[tuple[str, str, str], dict[str, Any]],
              pending_serials: dict[tuple[str, int, str], int], next_rid: int) -> dict[str, Any]:
        existing: dict[str, Any] | None = None
        if item.number:
            existing = pending_numbers.get((item.form_id, item.place.estate, item.number))
            if existing is None:
                row = self.conn.execute(
                    "SELECT record_id, archive_no, household, current_version, path FROM records"
                    " WHERE form = ? AND estate = ? AND number = ? ORDER BY voided, filed_at LIMIT 1",
                    (item.form_id, item.place.estate, item.number)).fetchone()
                if row:
                    existing = {"record_id": row["record_id"], "archive_no": row["archive_no"],
                                "version": row["current_version"], "household": row["household"],
                                "final_dir_rel": row["path"]}
        if existing:
            plan = {"new": False, "record_id": existing["record_id"], "archive_no": existing["archive_no"],
                    "version": existing["version"] + 1, "dir_rel": existing["final_dir_rel"],
                    "final_dir_rel": existing["final_dir_rel"]}
            if existing["household"] != item.place.key:
                target = self.layout.record(item.place.estate, item.place.key, existing["archive_no"])
                plan.update(moved_from=f"{item.place.estate}/{existing['household']}", move_to_rel=
                            self.layout.relative(target), final_dir_rel=self.layout.relative(target),
                            from_key=existing["household"])
                record_dir = self.layout.root / existing["final_dir_rel"]
                plan["event"] = f"e{self._next_unit_seq(record_dir, 'e'):03d}"
            return plan
        year = int((item.form_date or now().date().isoformat())[:4])
        skey = (item.place.estate, year, item.form_id)
        serial = pending_serials.get(skey) or catalog.next_serial(self.conn, *skey)
        pending_serials[skey] = serial + 1
        archive_no = f"{self.estates.code(item.place.estate)}-{year}-{item.form_code}-{serial:05d}"
        rel = self.layout.relative(self.layout.record(item.place.estate, item.place.key, archive_no))
        return {"new": True, "record_id": f"R{next_rid:07d}", "archive_no": archive_no, "version": 1,
                "year": year, "serial": serial, "dir_rel": rel, "final_dir_rel": rel}

    @staticmethod
    def _next_unit_seq(record_dir: Path, prefix: str) -> int:
        if not record_dir.exists():
            return 1
        seqs = [int(p.name[1:]) for p in record_dir.iterdir() if p.name[:1] == prefix and p.name[1:].isdigit()]
        return max(seqs, default=0) + 1

    def _write_version(self, item: Filing, plan: dict[str, Any]) -> None:
        record_dir = self.layout.root / plan["dir_rel"]
        if plan["new"]:
            year, serial = plan["year"], plan["serial"]
        else:
            first = json.loads((record_dir / "v1" / "fields.json").read_text(encoding="utf-8"))
            year, serial = first["year"], first["serial"]
        fields = {
            "record_id": plan["record_id"], "archive_no": plan["archive_no"], "version": plan["version"],
            "form": item.form_id, "estate": item.place.estate, "household": item.place.key,
            "household_display": item.place.display, "number": item.number, "form_date": item.form_date,
            "year": year, "serial": serial, "values": item.values, "raw": item.raw,
            "warnings": item.warnings, "review": item.review, "filed_at": stamp(),
        }
        provenance = {**item.provenance, "hudang_version": __version__}
        writer = UnitWriter(self.layout.staging)
        try:
            if item.original is not None:
                name = "original" + Path(provenance.get("source_name", "")).suffix.lower()[:10]
                provenance["original"] = name
                writer.add_file(name, item.original)
            writer.add_bytes("fields.json", _json_bytes(fields))
            writer.add_bytes("provenance.json", _json_bytes(provenance))
            writer.add_bytes("text.txt", item.text.encode("utf-8"))
            self._seal_and_place(writer, record_dir / f"v{plan['version']}")
        except BaseException:
            writer.discard()
            raise
        crash_point("after_version")
        if plan.get("move_to_rel"):
            self._move_dir(record_dir, self.layout.root / plan["move_to_rel"], plan["event"], {
                "kind": "move", "at": stamp(), "from": plan["from_key"], "to": item.place.key,
                "estate": item.place.estate, "reason": f"第{plan['version']}版的房号与原档不同，随新版本转入",
                "version": plan["version"]})

    def _move_dir(self, record_dir: Path, target: Path, event_name: str, event: dict[str, Any]) -> None:
        """Write the move event into the record, then rename the record's folder to its new household."""
        writer = UnitWriter(self.layout.staging)
        writer.add_bytes("event.json", _json_bytes(event))
        self._seal_and_place(writer, record_dir / event_name)
        crash_point("before_move_rename")
        if target.exists():
            raise HudangError(f"目标位置已存在：{self.layout.relative(target)}")
        make_dirs_durable(target.parent, self.layout.root)
        os.rename(record_dir, target)
        fsync_dir(target.parent)
        fsync_dir(record_dir.parent)

    # ---- corrections ----

    def _record(self, record_id: str) -> sqlite3.Row:
        row = catalog.record_row(self.conn, record_id)
        if row is None:
            raise NotFound(f"找不到档案记录 {record_id}", code="no_record")
        return row

    def move(self, record_id: str, place: Place, reason: str, user: str) -> dict[str, Any]:
        self._require_lock()
        row = self._record(record_id)
        if row["estate"] != place.estate:
            raise UsageError(f"不能把记录移到另一个项目（{row['estate']} → {place.estate}）")
        if row["household"] == place.key:
            raise UsageError(f"记录 {row['record_id']} 已在 {place.address}")
        record_dir = self.layout.root / row["path"]
        target = self.layout.record(place.estate, place.key, row["archive_no"])
        event_name = f"e{self._next_unit_seq(record_dir, 'e'):03d}"
        self._write_journal([{"record_dir": row["path"], "move_to": self.layout.relative(target), "event": event_name}])
        event = {"kind": "move", "at": stamp(), "from": row["household"], "to": place.key,
                 "estate": place.estate, "reason": reason, "by": user}
        self._move_dir(record_dir, target, event_name, event)
        self._recatalog(target)
        return {"record_id": row["record_id"], "from": f"{row['estate']}/{row['household']}", "to": place.address}

    def void(self, record_id: str, reason: str, user: str) -> dict[str, Any]:
        self._require_lock()
        row = self._record(record_id)
        if row["voided"]:
            raise UsageError(f"记录 {row['record_id']} 已作废（{row['void_reason']}）")
        return self._add_event(row, {"kind": "void", "at": stamp(), "reason": reason, "by": user})

    def _add_event(self, row: sqlite3.Row, event: dict[str, Any]) -> dict[str, Any]:
        record_dir = self.layout.root / row["path"]
        name = f"e{self._next_unit_seq(record_dir, 'e'):03d}"
        self._write_journal([{"record_dir": row["path"]}])
        writer = UnitWriter(self.layout.staging)
        writer.add_bytes("event.json", _json_bytes(event))
        self._seal_and_place(writer, record_dir / name)
        self._recatalog(record_dir)
        return {"record_id": row["record_id"], "event": name, **event}

    def attach(self, record_id: str, file: Path, note: str, user: str) -> dict[str, Any]:
        self._require_lock()
        row = self._record(record_id)
        if not file.is_file():
            raise NotFound(f"附件文件不存在或不是普通文件：{file}", code="no_file")
        record_dir = self.layout.root / row["path"]
        name = f"a{self._next_unit_seq(record_dir, 'a'):03d}"
        self._write_journal([{"record_dir": row["path"]}])
        writer = UnitWriter(self.layout.staging)
        fname = safe_filename(file.name)
        digest = writer.add_file(f"files/{fname}", file)
        meta = {"name": file.name, "stored_as": f"files/{fname}", "sha256": digest, "note": note,
                "at": stamp(), "by": user, "size": file.stat().st_size}
        writer.add_bytes("attachment.json", _json_bytes(meta))
        self._seal_and_place(writer, record_dir / name)
        self._recatalog(record_dir)
        return {"record_id": row["record_id"], "attachment": name, **meta}

    def _recatalog(self, record_dir: Path) -> None:
        from hudang.archive.rebuild import catalog_record_dir
        with catalog.transaction(self.conn):
            catalog_record_dir(self.conn, self.layout, record_dir)
        self._journal.unlink(missing_ok=True)


__all__ = ["Archive", "Filing", "Filed", "safe_component"]
