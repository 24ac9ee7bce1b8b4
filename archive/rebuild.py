"""Make the catalog from the archive alone: the same code serves filing, recovery and `rebuild`."""

from __future__ import annotations

import json
import os
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hudang.archive import catalog
from hudang.archive.audit import HEAD_PREFIX, Head
from hudang.archive.durable import fixity_mark
from hudang.archive.estates import normalize_name
from hudang.archive.paths import HOUSEHOLD_EVENTS, Layout


def _load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def unit_id(layout: Layout, unit: Path) -> str:
    """A unit's name in fixity.log: stable across moves (records are named by 档号, not by household)."""
    rel = unit.relative_to(layout.root).parts
    if rel[0] == "imports":
        return "imports/" + "/".join(rel[1:])
    if rel[0] == "estates" and len(rel) == 4 and rel[2] == "_estate":
        return f"estate/{rel[1]}/{rel[3]}"
    if rel[0] == "estates" and len(rel) == 5 and rel[3] == HOUSEHOLD_EVENTS:
        return f"household/{rel[1]}/{rel[2]}/{rel[4]}"
    if rel[0] == "estates" and len(rel) == 5:
        return f"record/{rel[3]}/{rel[4]}"
    return "other/" + "/".join(rel)


_HEX = frozenset("0123456789abcdef")


@dataclass
class FixityLog:
    """What the append-only fixity log says: each unit's manifest hash, the audit chain's latest
    recorded head, and the numbers of lines that are not what we write (damage to report)."""

    units: dict[str, str] = field(default_factory=dict)
    audit_head: Head | None = None
    damaged: list[int] = field(default_factory=list)


def read_fixity_log(path: Path) -> FixityLog:
    log = FixityLog()
    if not path.exists():
        return log
    lines = path.read_bytes().split(b"\n")
    for number, raw in enumerate(lines, 1):
        if not raw.strip():
            continue
        digest, _, uid = raw.decode("utf-8", "replace").partition("  ")
        if len(digest) != 64 or not set(digest) <= _HEX or not uid or b"\xef\xbf\xbd" in raw or "\ufffd" in uid:
            if number < len(lines):  # a last line torn by a power cut is no damage: its unit was never logged
                log.damaged.append(number)
            continue
        if uid.startswith(HEAD_PREFIX) and uid[len(HEAD_PREFIX):].isdigit():
            log.audit_head = Head(int(uid[len(HEAD_PREFIX):]), digest)
        else:
            log.units[uid] = digest
    return log


def logged_units(layout: Layout) -> dict[str, str]:
    """unit id → manifest hash, from the append-only fixity log."""
    return read_fixity_log(layout.fixity_log).units


def catalog_record_dir(conn: sqlite3.Connection, layout: Layout, record_dir: Path) -> None:
    """(Re)catalog one record folder: every version, then events and attachments in order."""
    units = sorted((p for p in record_dir.iterdir() if p.is_dir() and (p / "MANIFEST.sha256").exists()),
                   key=lambda p: (p.name[0], int(p.name[1:]) if p.name[1:].isdigit() else 0))
    rel = layout.relative(record_dir)
    record_id = None
    for unit in units:
        if unit.name.startswith("v"):
            fields = _load(unit / "fields.json")
            prov = _load(unit / "provenance.json")
            record_id = fields["record_id"]
            catalog.put_version(conn, fields, prov, layout.relative(unit), rel)
    if record_id is None:
        return
    conn.execute("UPDATE records SET path = ? WHERE record_id = ?", (rel, record_id))
    conn.execute("UPDATE versions SET path = ? || '/' || ('v' || version) WHERE record_id = ?", (rel, record_id))
    for unit in units:
        if unit.name.startswith("e"):
            catalog.put_event(conn, record_id, unit.name, _load(unit / "event.json"), rel)
        elif unit.name.startswith("a"):
            catalog.put_attachment(conn, record_id, unit.name, _load(unit / "attachment.json"),
                                   layout.relative(unit))
    # The folder a record sits in is its household, whatever an interrupted move left in the events.
    conn.execute("UPDATE records SET household = ? WHERE record_id = ?", (record_dir.parent.name, record_id))


def catalog_household_dir(conn: sqlite3.Connection, events_dir: Path) -> None:
    """(Re)catalog a household's own events (迁出, loans): folder ``<estate>/<household>/_household``."""
    household, estate = events_dir.parent.name, events_dir.parent.parent.name
    conn.execute("DELETE FROM household_events WHERE estate = ? AND household = ?", (estate, household))
    for unit in sorted(p for p in events_dir.iterdir() if (p / "MANIFEST.sha256").exists() and p.name[:1] == "e"):
        catalog.put_household_event(conn, estate, household, unit.name, _load(unit / "event.json"))


def catalog_import_dir(conn: sqlite3.Connection, layout: Layout, unit: Path) -> None:
    catalog.put_import(conn, _load(unit / "import.json"), layout.relative(unit))


def catalog_estate_units(conn: sqlite3.Connection, estate_dir: Path) -> None:
    units_dir = estate_dir / "_estate"
    if units_dir.is_dir():
        for unit in sorted(units_dir.iterdir()):
            if (unit / "estate.json").exists():
                catalog.put_estate(conn, _load(unit / "estate.json"), normalize_name)


def rebuild_catalog(archive_root: Path, catalog_path: Path) -> dict[str, int]:
    """Build a fresh catalog beside the old one from the archive alone, then swap it in atomically."""
    layout = Layout(archive_root)
    tmp = catalog_path.with_name(catalog_path.name + ".rebuild")
    for suffix in ("", "-wal", "-shm"):
        Path(str(tmp) + suffix).unlink(missing_ok=True)
    conn = catalog.connect(tmp)
    counts = {"estates": 0, "records": 0, "imports": 0}
    with catalog.transaction(conn):
        estates = sorted(p for p in layout.estates.iterdir() if p.is_dir()) if layout.estates.exists() else []
        for estate_dir in estates:
            catalog_estate_units(conn, estate_dir)
            counts["estates"] += 1
        imports_root = layout.root / "imports"
        import_units = sorted(imports_root.glob("*/*")) if imports_root.exists() else []
        # Imports apply in the order they were taken in (later ledger rows replace earlier).
        for unit in sorted(import_units, key=lambda p: int(p.name.lstrip("I") or 0)):
            if (unit / "import.json").exists():
                catalog_import_dir(conn, layout, unit)
                counts["imports"] += 1
        for estate_dir in estates:
            for household in sorted(p for p in estate_dir.iterdir() if p.is_dir() and p.name != "_estate"):
                for record_dir in sorted(p for p in household.iterdir() if p.is_dir()):
                    if record_dir.name == HOUSEHOLD_EVENTS:
                        catalog_household_dir(conn, record_dir)
                        continue
                    catalog_record_dir(conn, layout, record_dir)
                    counts["records"] += 1
        conn.execute("INSERT OR REPLACE INTO meta VALUES ('fixity_lines', ?)",
                     (fixity_mark(layout.fixity_log),))
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    os.replace(tmp, catalog_path)
    for suffix in ("-wal", "-shm"):
        Path(str(catalog_path) + suffix).unlink(missing_ok=True)
        Path(str(tmp) + suffix).unlink(missing_ok=True)
    return counts
