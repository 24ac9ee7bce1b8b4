"""The household archive: filing records, versions, events and attachments as durable units.

The archive folder is the source of truth. Each write builds a unit in staging, seals it with a
manifest, renames it into place and logs the manifest's hash in ``fixity.log``; only then is the
catalog told. A crash at any point leaves whole units or none, and `recover` makes the catalog
agree with what is on disk.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hudang import __version__
from hudang.archive import audit, catalog
from hudang.archive.durable import (
    MANIFEST,
    UnitWriter,
    append_line,
    atomic_write,
    discard_staging,
    fixity_mark,
    fsync_dir,
    make_dirs_durable,
    sha256_file,
    sync_filesystem,
)
from hudang.archive.estates import Estates, Place, name_problem, normalize_name
from hudang.archive.locks import FileLock, writer_lock
from hudang.archive.paths import Layout, safe_component, safe_filename
from hudang.clock import now, stamp
from hudang.crashpoints import crash_point
from hudang.errors import HudangError, NotFound, UsageError
from hudang.escapes import escape_all
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
    extra_files: list[tuple[str, Path]] = field(default_factory=list)   # (name, path) kept in the version
    record_id: str | None = None          # a new version of this record (an edit), whatever its 编号
    extra: dict[str, str] = field(default_factory=dict)   # fields the form's definition lacks, kept as read
    form_version: int | None = None       # the form definition's version it was read and checked under


@dataclass
class Filed:
    record_id: str
    version: int
    archive_no: str
    place: Place
    moved_from: str | None = None
    duplicate_of: str | None = None       # set when the bytes were already archived
    warnings: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class _Pending:
    """What a group has planned but not yet cataloged: numbers, serials, originals, event slots."""

    next_rid: int
    numbers: dict[tuple[str, str, str], dict[str, Any]] = field(default_factory=dict)
    serials: dict[tuple[str, int, str], int] = field(default_factory=dict)
    originals: dict[str, str] = field(default_factory=dict)
    events: dict[str, int] = field(default_factory=dict)

    def event_seq(self, archive_no: str, record_dir: Path) -> int:
        seq = max(self.events.get(archive_no, 0) + 1, Archive._next_unit_seq(record_dir, "e"))
        self.events[archive_no] = seq
        return seq


log = logging.getLogger("hudang.archive")


def _json_bytes(value: Any) -> bytes:
    """UTF-8 JSON; a lone surrogate anywhere (readers escape them already) is stored as the text ``\\udc00``."""
    text = json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return (json.dumps(escape_all(value), ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode("utf-8")


class Archive:
    """One data home's archive and catalog. Writers must hold `writer()`; readers need nothing."""

    def __init__(self, home: Home) -> None:
        self.home = home
        self.layout = Layout(home.archive)
        self.conn = catalog.connect(home.catalog_path)
        self.estates = Estates(self.conn)
        self._lock: FileLock | None = None

    def close(self) -> None:
        self.conn.close()

    # ---- the writer lock ----

    @contextmanager
    def writer(self, wait: bool = True) -> Iterator[Archive]:
        """One writer per data home at a time (an ingest beside the watcher waits its turn)."""
        with writer_lock(self.home).hold(wait=wait) as lock:
            self._lock = lock
            try:
                self.reconnect()  # a rebuild may have swapped the catalog file while we waited
                self.recover()
                self._ensure_in_step()
                yield self
            finally:
                self._lock = None

    def reconnect(self) -> None:
        """A fresh catalog connection (and the estates read through it): the file may have been swapped."""
        self.conn.close()
        self.conn = catalog.connect(self.home.catalog_path)
        self.estates = Estates(self.conn)

    def _require_lock(self) -> None:
        if self._lock is None:
            raise HudangError("internal: archive write without the writer lock")

    # ---- keeping the catalog in step with the archive ----

    def _mark_in_step(self) -> None:
        """Inside a catalog transaction: the catalog now reflects every unit in fixity.log."""
        self.conn.execute("INSERT OR REPLACE INTO meta VALUES ('fixity_lines', ?)",
                          (fixity_mark(self.layout.fixity_log),))

    def _ensure_in_step(self) -> None:
        """A deleted, stale or foreign catalog is rebuilt before anything is filed, so numbers never repeat."""
        row = self.conn.execute("SELECT value FROM meta WHERE key = 'fixity_lines'").fetchone()
        mark = fixity_mark(self.layout.fixity_log)
        if (row["value"] if row else fixity_mark(None)) == mark:
            return
        log.warning("catalog out of step with the archive (%s vs %s): rebuilding", row and row["value"], mark)
        self.conn.close()
        from hudang.archive.rebuild import rebuild_catalog
        rebuild_catalog(self.layout.root, self.home.catalog_path)
        self.reconnect()

    # ---- recovery ----

    @property
    def _journal(self) -> Path:
        return self.home.run_dir / "journal.json"

    def recover(self) -> None:
        """Finish what a crashed writer left: drop staging, finish moves, log and catalog placed units."""
        from hudang.archive.rebuild import (
            catalog_estate_units,
            catalog_household_dir,
            catalog_import_dir,
            catalog_record_dir,
            logged_units,
        )

        discard_staging(self.layout.staging)
        if not self._journal.exists():
            return
        entries = json.loads(self._journal.read_text(encoding="utf-8") or "[]")
        logged = logged_units(self.layout)
        with catalog.transaction(self.conn):
            for entry in entries:
                kind = entry.get("kind", "record")
                path = self.layout.root / entry["dir"]
                if kind == "record":
                    path = self._finish_move(path, entry.get("move"), logged)
                    if path.is_dir():
                        self._adopt(list(path.iterdir()), logged)
                        catalog_record_dir(self.conn, self.layout, path)
                elif kind == "import" and path.is_dir():
                    self._adopt([path], logged)
                    catalog_import_dir(self.conn, self.layout, path)
                elif kind == "household" and path.is_dir():
                    self._adopt(list(path.iterdir()), logged)
                    catalog_household_dir(self.conn, path)
                elif kind == "estate" and path.is_dir():
                    self._adopt(list(path.iterdir()), logged)
                    catalog_estate_units(self.conn, path.parent)
            self._mark_in_step()
        self._journal.unlink()

    def _adopt(self, units: list[Path], logged: dict[str, str]) -> None:
        """Log units that were renamed into place (so complete) before the crash let us log them."""
        from hudang.archive.rebuild import unit_id
        for unit in sorted(units):
            uid = unit_id(self.layout, unit)
            if unit.is_dir() and uid not in logged and (unit / MANIFEST).exists():
                line_hash = sha256_file(unit / MANIFEST)
                append_line(self.layout.fixity_log, f"{line_hash}  {uid}")
                logged[uid] = line_hash

    def _finish_move(self, record_dir: Path, move: dict[str, Any] | None, logged: dict[str, str]) -> Path:
        """A move whose version is in place is completed: its event written if missing, the folder renamed."""
        if not move:
            return record_dir
        target = self.layout.root / move["to"]
        if not record_dir.is_dir() or target.exists():
            return target if target.exists() else record_dir
        if move.get("version") and not (record_dir / move["version"] / MANIFEST).exists():
            return record_dir  # the version never landed: the re-run files it and moves then
        event_dir = record_dir / move["event"]
        if event_dir.exists():
            event = json.loads((event_dir / "event.json").read_text(encoding="utf-8"))
            if event.get("to") != move["event_data"]["to"]:
                return record_dir
        else:
            writer = UnitWriter(self.layout.staging)
            writer.add_bytes("event.json", _json_bytes(move["event_data"]))
            uid, digest = self._seal_and_place(writer, event_dir)
            logged[uid] = digest
        make_dirs_durable(target.parent, self.layout.root)
        os.rename(record_dir, target)
        fsync_dir(target.parent)
        fsync_dir(record_dir.parent)
        return target

    def _write_journal(self, entries: list[dict[str, Any]]) -> None:
        atomic_write(self._journal, json.dumps(entries, ensure_ascii=False).encode("utf-8"))

    def _seal_and_place(self, writer: UnitWriter, dest: Path) -> tuple[str, str]:
        from hudang.archive.rebuild import unit_id
        try:
            manifest_hash = writer.seal()
            make_dirs_durable(dest.parent, self.layout.root)
            writer.commit(dest)
        except BaseException:
            writer.discard()
            raise
        uid = unit_id(self.layout, dest)
        append_line(self.layout.fixity_log, f"{manifest_hash}  {uid}")
        return uid, manifest_hash

    # ---- estates ----

    def _free_code(self) -> str:
        n = self.conn.execute("SELECT COUNT(*) AS n FROM estates").fetchone()["n"] + 1
        while self.conn.execute("SELECT 1 FROM estates WHERE code = ?", (f"E{n:02d}",)).fetchone():
            n += 1
        return f"E{n:02d}"

    def add_estate(self, name: str, aliases: list[str] | None = None, code: str | None = None) -> dict[str, Any]:
        """Create an estate, or add aliases to one; written as an estate unit."""
        self._require_lock()
        from hudang.forms.values import to_simplified
        name = name.strip()
        problem = name_problem(name)
        if problem:
            raise UsageError(problem, code="bad_estate")
        canonical = self.estates.resolve(name) or to_simplified(name)
        existing = self.conn.execute("SELECT code FROM estates WHERE name = ?", (canonical,)).fetchone()
        aliases = [a.strip() for a in (aliases or []) if a.strip()]
        for alias in aliases:
            owner = self.estates.resolve(alias)
            if owner and owner != canonical:
                raise UsageError(f"别名“{alias}”已属于项目“{owner}”", code="alias_taken")
        if existing:
            code = existing["code"]
            if not [a for a in aliases if self.estates.resolve(a) != canonical]:
                return {"name": canonical, "code": code, "created": False}
        elif code is None:
            code = self._free_code()
        elif not re.fullmatch(r"[A-Z0-9]{1,8}", code):
            raise UsageError(f"项目代码“{code}”无效：只能用 1–8 位大写字母或数字", code="bad_code")
        elif self.conn.execute("SELECT 1 FROM estates WHERE code = ?", (code,)).fetchone():
            raise UsageError(f"项目代码 {code} 已被使用", code="code_taken")
        if name != canonical:
            aliases.append(name)  # e.g. the Traditional spelling it was given in
        unit = {"name": canonical, "code": code, "aliases": sorted(set(aliases)), "at": stamp(),
                "action": "alias" if existing else "create"}
        units_dir = self.layout.estate_units(canonical)
        seq = len(list(units_dir.iterdir())) + 1 if units_dir.exists() else 1
        self._write_journal([{"kind": "estate", "dir": self.layout.relative(units_dir)}])
        writer = UnitWriter(self.layout.staging)
        writer.add_bytes("estate.json", _json_bytes(unit))
        self._seal_and_place(writer, units_dir / f"{seq:04d}")
        with catalog.transaction(self.conn):
            catalog.put_estate(self.conn, unit, normalize_name)
            self._mark_in_step()
        self._journal.unlink()
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
        self._write_journal([{"kind": "import", "dir": self.layout.relative(dest)}])
        self._seal_and_place(writer, dest)
        crash_point("before_catalog")
        with catalog.transaction(self.conn):
            catalog.put_import(self.conn, meta, self.layout.relative(dest))
            self._mark_in_step()
        self._journal.unlink()
        return import_id

    def _ref_unit(self, ref: str) -> tuple[Path, str] | None:
        if ref.startswith("R") and "/v" in ref:
            rid, _, version = ref.partition("/v")
            row = self.conn.execute("SELECT path FROM versions WHERE record_id = ? AND version = ?",
                                    (rid, int(version))).fetchone()
            return (self.layout.root / row["path"], "provenance.json") if row else None
        row = self.conn.execute("SELECT path FROM imports WHERE import_id = ?", (ref,)).fetchone()
        return (self.layout.root / row["path"], "import.json") if row else None

    def claim_of(self, ref: str) -> str | None:
        """The intake-service claim that filed ``ref`` (a record version or an import), if any."""
        found = self._ref_unit(ref)
        if found is None:
            return None
        try:
            return json.loads((found[0] / found[1]).read_text(encoding="utf-8")).get("claim")
        except (OSError, ValueError):
            return None

    def describe(self, ref: str) -> dict[str, Any]:
        """What ``ref`` is, in outcome terms (for a claim finished after a restart)."""
        if ref.startswith("R"):
            rid, _, version = ref.partition("/v")
            row = self.conn.execute("SELECT * FROM records WHERE record_id = ?", (rid,)).fetchone()
            if row is None:
                return {}
            return {"status": "filed", "form": row["form"], "household": f"{row['estate']}/{row['household']}",
                    "record_id": rid, "version": int(version), "archive_no": row["archive_no"]}
        row = self.conn.execute("SELECT * FROM imports WHERE import_id = ?", (ref,)).fetchone()
        if row is None:
            return {}
        if row["kind"] == "batch":
            return {"status": "filed", "form": row["form"]}
        return {"status": "imported", "kind": row["kind"], "rows": row["rows"]}

    def known_original(self, sha256: str) -> str | None:
        row = self.conn.execute("SELECT ref FROM originals WHERE sha256 = ?", (sha256,)).fetchone()
        return str(row["ref"]) if row else None

    # ---- records ----

    def file(self, filings: list[Filing]) -> list[Filed]:
        """File a group of records; all are durable before any is reported filed."""
        self._require_lock()
        plans: list[tuple[Filing, dict[str, Any]]] = []
        results: list[Filed] = []
        pending = _Pending(next_rid=int(catalog.next_number(self.conn, "R", "records", "record_id")[1:]))
        for item in filings:
            sha = catalog.original_key(item.provenance)
            if sha:
                dup = self.known_original(sha) or pending.originals.get(sha)
                if dup:
                    results.append(Filed("", 0, "", item.place, duplicate_of=dup))
                    continue
            plan = self._plan(item, pending)
            if sha:
                pending.originals[sha] = f"{plan['record_id']}/v{plan['version']}"
            plans.append((item, plan))
            results.append(Filed(plan["record_id"], plan["version"], plan["archive_no"], item.place,
                                 moved_from=plan.get("moved_from"), warnings=plan["warnings"]))
        self._write_journal([{"kind": "record", "dir": plan["dir_rel"], "move": plan.get("move")}
                             for _, plan in plans])
        crash_point("after_journal")
        # Group commit: stage every unit, one sync, place them all, one more sync, then log and catalog.
        staged = [(item, plan, *self._stage_version(item, plan)) for item, plan in plans]
        try:
            sync_filesystem(self.layout.root)
            lines = [self._place_version(plan, writer, manifest_hash, event)
                     for _, plan, writer, manifest_hash, event in staged]
        except BaseException:
            for *_, writer, _, event in staged:
                writer.discard()
                if event:
                    event[0].discard()
            raise
        sync_filesystem(self.layout.root)
        head = audit.head(self.home.audit_log)  # a cut-off audit log tail is caught by `verify`
        append_line(self.layout.fixity_log, "\n".join([*(line for group in lines for line in group),
                                                       *([head.fixity_line()] if head else [])]))
        crash_point("before_catalog")
        from hudang.archive.rebuild import catalog_record_dir
        with catalog.transaction(self.conn):
            for path in dict.fromkeys(self.layout.root / p["final_dir_rel"] for _, p in plans):
                if path.exists():  # a record moved again later in the same group is cataloged at its last place
                    catalog_record_dir(self.conn, self.layout, path)
            self._mark_in_step()
        crash_point("after_catalog")
        self._journal.unlink(missing_ok=True)
        return results

    def _existing(self, item: Filing, pending: _Pending) -> dict[str, Any] | None:
        """The record an item is a new version of: same form, estate and 编号 (SPEC §5), or the one named."""
        if item.record_id:
            row = self.conn.execute(
                "SELECT record_id, archive_no, household, current_version, path, voided, year, serial FROM records"
                " WHERE record_id = ?", (item.record_id,)).fetchone()
            if row is None:
                raise NotFound(f"找不到档案记录 {item.record_id}", code="no_record")
            return {"record_id": row["record_id"], "archive_no": row["archive_no"],
                    "version": row["current_version"], "household": row["household"], "final_dir_rel": row["path"],
                    "voided": bool(row["voided"]), "year": row["year"], "serial": row["serial"]}
        if not item.number:
            return None
        key = (item.form_id, item.place.estate, item.number)
        if key in pending.numbers:
            return pending.numbers[key]
        row = self.conn.execute(
            "SELECT record_id, archive_no, household, current_version, path, voided, year, serial FROM records"
            " WHERE form = ? AND estate = ? AND number = ? ORDER BY filed_at LIMIT 1", key).fetchone()
        if row is None:
            return None
        return {"record_id": row["record_id"], "archive_no": row["archive_no"], "version": row["current_version"],
                "household": row["household"], "final_dir_rel": row["path"], "voided": bool(row["voided"]),
                "year": row["year"], "serial": row["serial"]}

    def _plan(self, item: Filing, pending: _Pending) -> dict[str, Any]:
        existing = self._existing(item, pending)
        if existing:
            plan: dict[str, Any] = {
                "new": False, "record_id": existing["record_id"], "archive_no": existing["archive_no"],
                "version": existing["version"] + 1, "dir_rel": existing["final_dir_rel"],
                "final_dir_rel": existing["final_dir_rel"], "household": item.place.key,
                "voided": existing.get("voided", False), "warnings": [],
                "year": existing["year"], "serial": existing["serial"]}
            if plan["voided"]:
                plan["warnings"].append({"field": item.number and "编号", "code": "voided_record",
                                         "message": f"编号 {item.number} 的记录已作废；新版本已归入该记录，仍不参与检索和报表"})
            if existing["household"] != item.place.key:
                target = self.layout.record(item.place.estate, item.place.key, existing["archive_no"])
                seq = pending.event_seq(existing["archive_no"], self.layout.root / existing["final_dir_rel"])
                plan["moved_from"] = f"{item.place.estate}/{existing['household']}"
                plan["final_dir_rel"] = self.layout.relative(target)
                plan["move"] = {"to": plan["final_dir_rel"], "event": f"e{seq:03d}", "version": f"v{plan['version']}",
                                "event_data": {"kind": "move", "at": stamp(), "from": existing["household"],
                                               "to": item.place.key, "estate": item.place.estate,
                                               "reason": f"第{plan['version']}版的房号与原档不同，随新版本转入",
                                               "version": plan["version"]}}
        else:
            year = int((item.form_date or now().date().isoformat())[:4])
            skey = (item.place.estate, year, item.form_id)
            serial = pending.serials.get(skey) or catalog.next_serial(self.conn, *skey)
            pending.serials[skey] = serial + 1
            archive_no = f"{self.estates.code(item.place.estate)}-{year}-{item.form_code}-{serial:05d}"
            rel = self.layout.relative(self.layout.record(item.place.estate, item.place.key, archive_no))
            plan = {"new": True, "record_id": f"R{pending.next_rid:07d}", "archive_no": archive_no, "version": 1,
                    "year": year, "serial": serial, "dir_rel": rel, "final_dir_rel": rel,
                    "household": item.place.key, "warnings": []}
            pending.next_rid += 1
        if item.number:
            pending.numbers[(item.form_id, item.place.estate, item.number)] = plan
        return plan

    @staticmethod
    def _next_unit_seq(record_dir: Path, prefix: str) -> int:
        if not record_dir.exists():
            return 1
        seqs = [int(p.name[1:]) for p in record_dir.iterdir() if p.name[:1] == prefix and p.name[1:].isdigit()]
        return max(seqs, default=0) + 1

    def _stage_version(self, item: Filing, plan: dict[str, Any]
                       ) -> tuple[UnitWriter, str, tuple[UnitWriter, str] | None]:
        """Build a version unit (and its move event) in staging, without syncing: the group syncs once."""
        year, serial = plan["year"], plan["serial"]
        fields = {
            "record_id": plan["record_id"], "archive_no": plan["archive_no"], "version": plan["version"],
            "form": item.form_id, "estate": item.place.estate, "household": item.place.key,
            "household_display": item.place.display, "number": item.number, "form_date": item.form_date,
            "year": year, "serial": serial, "values": item.values, "raw": item.raw,
            "warnings": item.warnings, "review": item.review, "filed_at": stamp(),
            **({"extra": item.extra} if item.extra else {}),
            **({"form_version": item.form_version} if item.form_version else {}),
        }
        provenance = {**item.provenance, "hudang_version": __version__}
        writer = UnitWriter(self.layout.staging, deferred=True)
        if item.original is not None:
            name = "original" + Path(provenance.get("source_name", "")).suffix.lower()[:10]
            provenance["original"] = name
            writer.add_file(name, item.original, provenance.get("sha256"))
        for name, path in item.extra_files:
            writer.add_file(f"files/{safe_filename(name)}", path)
        writer.add_bytes("fields.json", _json_bytes(fields))
        writer.add_bytes("provenance.json", _json_bytes(provenance))
        writer.add_bytes("text.txt", item.text.encode("utf-8"))
        event = None
        if plan.get("move"):
            event_writer = UnitWriter(self.layout.staging, deferred=True)
            event_writer.add_bytes("event.json", _json_bytes(plan["move"]["event_data"]))
            event = (event_writer, event_writer.seal())
        return writer, writer.seal(), event

    def _place_version(self, plan: dict[str, Any], writer: UnitWriter, manifest_hash: str,
                       event: tuple[UnitWriter, str] | None) -> list[str]:
        """Rename a staged version (and move) into place; returns its fixity lines."""
        from hudang.archive.rebuild import unit_id
        record_dir = self.layout.root / plan["dir_rel"]
        dest = record_dir / f"v{plan['version']}"
        record_dir.mkdir(parents=True, exist_ok=True)
        writer.commit(dest)
        lines = [f"{manifest_hash}  {unit_id(self.layout, dest)}"]
        crash_point("after_version")
        move = plan.get("move")
        if move and event:
            event_dest = record_dir / move["event"]
            event[0].commit(event_dest)
            lines.append(f"{event[1]}  {unit_id(self.layout, event_dest)}")
            crash_point("before_move_rename")
            target = self.layout.root / move["to"]
            if target.exists():
                raise HudangError(f"目标位置已存在：{self.layout.relative(target)}")
            target.parent.mkdir(parents=True, exist_ok=True)
            os.rename(record_dir, target)
        return lines

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
        event = {"kind": "move", "at": stamp(), "from": row["household"], "to": place.key,
                 "estate": place.estate, "reason": reason, "by": user}
        self._write_journal([{"kind": "record", "dir": row["path"], "move": {
            "to": self.layout.relative(target), "event": event_name, "version": None, "event_data": event}}])
        self._move_dir(record_dir, target, event_name, event)
        self._recatalog(target)
        return {"record_id": row["record_id"], "from": f"{row['estate']}/{row['household']}", "to": place.address}

    def void(self, record_id: str, reason: str, user: str) -> dict[str, Any]:
        self._require_lock()
        row = self._record(record_id)
        if row["voided"]:
            raise UsageError(f"记录 {row['record_id']} 已作废（{row['void_reason']}）")
        return self._add_event(row, {"kind": "void", "at": stamp(), "reason": reason, "by": user})

    def add_event(self, record_id: str, event: dict[str, Any]) -> dict[str, Any]:
        """Record something that happened to a record (a letter sent, delivered, returned)."""
        self._require_lock()
        return self._add_event(self._record(record_id), event)

    def _add_event(self, row: sqlite3.Row, event: dict[str, Any]) -> dict[str, Any]:
        record_dir = self.layout.root / row["path"]
        name = f"e{self._next_unit_seq(record_dir, 'e'):03d}"
        self._write_journal([{"kind": "record", "dir": row["path"]}])
        writer = UnitWriter(self.layout.staging)
        writer.add_bytes("event.json", _json_bytes(event))
        self._seal_and_place(writer, record_dir / name)
        self._recatalog(record_dir)
        return {"record_id": row["record_id"], "event": name, **event}

    def add_household_event(self, place: Place, event: dict[str, Any]) -> dict[str, Any]:
        """Something that happened to the household itself (a person moved out, a file lent and returned):
        an event unit in its ``_household`` folder, cataloged and rebuilt like every unit."""
        self._require_lock()
        from hudang.archive.rebuild import catalog_household_dir
        events_dir = self.layout.household_events(place.estate, place.key)
        name = f"e{self._next_unit_seq(events_dir, 'e'):03d}"
        self._write_journal([{"kind": "household", "dir": self.layout.relative(events_dir)}])
        writer = UnitWriter(self.layout.staging)
        writer.add_bytes("event.json", _json_bytes(event))
        self._seal_and_place(writer, events_dir / name)
        with catalog.transaction(self.conn):
            catalog_household_dir(self.conn, events_dir)
            self._mark_in_step()
        self._journal.unlink(missing_ok=True)
        return {"household": place.address, "event": name, **event}

    def attach(self, record_id: str, file: Path, note: str, user: str) -> dict[str, Any]:
        self._require_lock()
        row = self._record(record_id)
        if not file.is_file():
            raise NotFound(f"附件文件不存在或不是普通文件：{file}", code="no_file")
        record_dir = self.layout.root / row["path"]
        name = f"a{self._next_unit_seq(record_dir, 'a'):03d}"
        self._write_journal([{"kind": "record", "dir": row["path"]}])
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
            self._mark_in_step()
        self._journal.unlink(missing_ok=True)


__all__ = ["Archive", "Filing", "Filed", "safe_component"]
