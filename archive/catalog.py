"""The catalog: a SQLite (WAL) database derived from the archive, for fast listing and lookup.

Nothing here is the source of truth: every row is made from a unit in the archive, either when
the unit is filed or by `rebuild`. Deleting the file loses nothing.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

SCHEMA_VERSION = 1

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS estates (
    name TEXT PRIMARY KEY, code TEXT UNIQUE NOT NULL, created_at TEXT, has_roster INTEGER DEFAULT 0);
CREATE TABLE IF NOT EXISTS estate_names (
    spelled TEXT PRIMARY KEY, name TEXT NOT NULL);      -- normalised alias/name → canonical name
CREATE TABLE IF NOT EXISTS rooms (
    estate TEXT, key TEXT, display TEXT, word TEXT, area TEXT, owner TEXT, raw TEXT, import_id TEXT,
    PRIMARY KEY (estate, key));
CREATE TABLE IF NOT EXISTS records (
    record_id TEXT PRIMARY KEY, archive_no TEXT UNIQUE NOT NULL, form TEXT NOT NULL,
    estate TEXT NOT NULL, household TEXT NOT NULL, number TEXT, current_version INTEGER NOT NULL,
    form_date TEXT, year INTEGER, serial INTEGER, filed_at TEXT, path TEXT NOT NULL,
    voided INTEGER DEFAULT 0, void_reason TEXT, review INTEGER DEFAULT 0);
CREATE INDEX IF NOT EXISTS records_household ON records (estate, household);
CREATE INDEX IF NOT EXISTS records_number ON records (form, estate, number);
CREATE TABLE IF NOT EXISTS versions (
    record_id TEXT, version INTEGER, sha256 TEXT, source_name TEXT, received_at TEXT,
    household TEXT, fields TEXT NOT NULL, warnings TEXT, review TEXT, path TEXT NOT NULL,
    PRIMARY KEY (record_id, version));
CREATE TABLE IF NOT EXISTS originals (
    sha256 TEXT PRIMARY KEY, kind TEXT, ref TEXT);  -- kind: record | import
CREATE TABLE IF NOT EXISTS imports (
    import_id TEXT PRIMARY KEY, kind TEXT, form TEXT, sha256 TEXT, source_name TEXT, received_at TEXT,
    rows INTEGER, path TEXT);
CREATE TABLE IF NOT EXISTS fee_rows (
    estate TEXT, household TEXT, item TEXT, period TEXT, due TEXT, paid TEXT, paid_on TEXT,
    import_id TEXT, row INTEGER, seq INTEGER, PRIMARY KEY (estate, household, item, period));
CREATE TABLE IF NOT EXISTS reminders (
    estate TEXT, household TEXT, date TEXT, method TEXT, note TEXT, import_id TEXT, row INTEGER);
CREATE TABLE IF NOT EXISTS events (
    record_id TEXT, unit TEXT, kind TEXT, at TEXT, detail TEXT, PRIMARY KEY (record_id, unit));
CREATE INDEX IF NOT EXISTS events_kind ON events (kind);   -- a household's moves, without walking its estate
CREATE TABLE IF NOT EXISTS household_events (
    estate TEXT, household TEXT, unit TEXT, kind TEXT, at TEXT, detail TEXT, PRIMARY KEY (estate, household, unit));
CREATE TABLE IF NOT EXISTS attachments (
    record_id TEXT, unit TEXT, name TEXT, sha256 TEXT, note TEXT, at TEXT, path TEXT,
    PRIMARY KEY (record_id, unit));
"""


def connect(path: Path) -> sqlite3.Connection:
    """Open (creating) the catalog with WAL so readers are never blocked by the writer."""
    conn = sqlite3.connect(path, timeout=60, isolation_level=None)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")  # a reported outcome's catalog row survives a power cut too
    conn.execute("PRAGMA busy_timeout=60000")
    conn.executescript(SCHEMA)
    conn.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
    return conn


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


# ---- writers: one per unit kind, used alike by filing and by rebuild ----

def put_estate(conn: sqlite3.Connection, unit: dict[str, Any], normalize: Any) -> None:
    name = unit["name"]
    conn.execute("INSERT OR IGNORE INTO estates (name, code, created_at) VALUES (?, ?, ?)",
                 (name, unit["code"], unit.get("at")))
    for spelled in [name, *unit.get("aliases", [])]:
        conn.execute("INSERT OR REPLACE INTO estate_names VALUES (?, ?)", (normalize(spelled), name))


def put_room(conn: sqlite3.Connection, estate: str, room: dict[str, Any], import_id: str) -> None:
    conn.execute(
        "INSERT OR REPLACE INTO rooms VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (estate, room["key"], room["display"], room.get("word"), room.get("area"), room.get("owner"),
         room.get("raw"), import_id))
    conn.execute("UPDATE estates SET has_roster = 1 WHERE name = ?", (estate,))


def shown_fields(rec: dict[str, Any]) -> dict[str, str]:
    """A version's fields as shown and indexed: the form's values, then the extra fields the form's
    definition lacks (派工单号, 材料费 …), which never override a value."""
    return {**rec["values"], **{k: v for k, v in (rec.get("extra") or {}).items() if k not in rec["values"]}}


def put_version(conn: sqlite3.Connection, rec: dict[str, Any], prov: dict[str, Any], path: str,
                record_path: str) -> None:
    """Add one version; the record row follows its latest version (by version number)."""
    conn.execute(
        "INSERT OR REPLACE INTO versions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (rec["record_id"], rec["version"], prov.get("sha256"), prov.get("source_name"),
         prov.get("received_at"), rec["household"], dumps(shown_fields(rec)), dumps(rec.get("warnings", [])),
         dumps(rec.get("review", [])), path))
    row = conn.execute("SELECT current_version FROM records WHERE record_id = ?", (rec["record_id"],)).fetchone()
    if row is None or row["current_version"] <= rec["version"]:
        conn.execute(
            """INSERT INTO records (record_id, archive_no, form, estate, household, number, current_version,
                   form_date, year, serial, filed_at, path, review)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT(record_id) DO UPDATE SET form=excluded.form, household=excluded.household,
                   number=excluded.number, current_version=excluded.current_version,
                   form_date=excluded.form_date, path=excluded.path, review=excluded.review""",
            (rec["record_id"], rec["archive_no"], rec["form"], rec["estate"], rec["household"],
             rec.get("number"), rec["version"], rec.get("form_date"), rec["year"], rec["serial"],
             rec.get("filed_at"), record_path, 1 if rec.get("review") else 0))
    key = original_key(prov)
    if key:
        conn.execute("INSERT OR IGNORE INTO originals VALUES (?, ?, ?)",
                     (key, "row" if prov.get("batch") else "record", f"{rec['record_id']}/v{rec['version']}"))


def original_key(prov: dict[str, Any]) -> str | None:
    """What a filed record's source is known by: its file's SHA-256, and for a batch row the row number (and the
    side-by-side block after the first), so a re-run never files a row twice and never takes one for another."""
    sha = prov.get("sha256")
    if not sha or not prov.get("batch"):
        return sha
    batch = prov["batch"]
    return f"{sha}:{batch['row']}" + (f"/{batch['block']}" if batch.get("block", 1) > 1 else "")


def put_event(conn: sqlite3.Connection, record_id: str, unit: str, event: dict[str, Any],
              record_path: str) -> None:
    conn.execute("INSERT OR REPLACE INTO events VALUES (?, ?, ?, ?, ?)",
                 (record_id, unit, event["kind"], event["at"], dumps(event)))
    if event["kind"] == "void":
        conn.execute("UPDATE records SET voided = 1, void_reason = ? WHERE record_id = ?",
                     (event.get("reason"), record_id))
    elif event["kind"] == "move":
        conn.execute("UPDATE records SET household = ?, path = ? WHERE record_id = ?",
                     (event["to"], record_path, record_id))


def put_household_event(conn: sqlite3.Connection, estate: str, household: str, unit: str,
                        event: dict[str, Any]) -> None:
    conn.execute("INSERT OR REPLACE INTO household_events VALUES (?, ?, ?, ?, ?, ?)",
                 (estate, household, unit, event["kind"], event["at"], dumps(event)))


def put_attachment(conn: sqlite3.Connection, record_id: str, unit: str, meta: dict[str, Any], path: str) -> None:
    conn.execute("INSERT OR REPLACE INTO attachments VALUES (?, ?, ?, ?, ?, ?, ?)",
                 (record_id, unit, meta["name"], meta["sha256"], meta.get("note"), meta["at"], path))


def put_import(conn: sqlite3.Connection, meta: dict[str, Any], path: str) -> None:
    conn.execute("INSERT OR REPLACE INTO imports VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                 (meta["import_id"], meta["kind"], meta.get("form"), meta["sha256"], meta["source_name"],
                  meta["received_at"], len(meta.get("rows", [])), path))
    conn.execute("INSERT OR IGNORE INTO originals VALUES (?, 'import', ?)", (meta["sha256"], meta["import_id"]))
    seq_base = int(meta["import_id"].lstrip("I") or 0) * 1_000_000
    if meta["kind"] == "ledger":
        for row in meta["rows"]:
            # A later row for the same (estate, room, item, period) replaces the earlier (SPEC §8).
            conn.execute(
                """INSERT INTO fee_rows VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT(estate, household, item, period) DO UPDATE SET due=excluded.due,
                   paid=excluded.paid, paid_on=excluded.paid_on, import_id=excluded.import_id,
                   row=excluded.row, seq=excluded.seq WHERE excluded.seq > fee_rows.seq""",
                (row["estate"], row["household"], row["item"], row["period"], row["due"], row["paid"],
                 row.get("paid_on"), meta["import_id"], row["row"], seq_base + row["row"]))
    elif meta["kind"] == "reminders":
        for row in meta["rows"]:
            conn.execute("INSERT INTO reminders VALUES (?, ?, ?, ?, ?, ?, ?)",
                         (row["estate"], row["household"], row["date"], row["method"], row.get("note"),
                          meta["import_id"], row["row"]))
    elif meta["kind"] == "roster":
        for row in meta["rows"]:
            put_room(conn, row["estate"], row, meta["import_id"])


# ---- readers ----

def next_number(conn: sqlite3.Connection, prefix: str, table: str, column: str) -> str:
    row = conn.execute(
        f"SELECT MAX(CAST(substr({column}, 2) AS INTEGER)) AS n FROM {table}").fetchone()  # noqa: S608
    return f"{prefix}{(row['n'] or 0) + 1:07d}"


def next_serial(conn: sqlite3.Connection, estate: str, year: int, form: str) -> int:
    row = conn.execute("SELECT MAX(serial) AS n FROM records WHERE estate = ? AND year = ? AND form = ?",
                       (estate, year, form)).fetchone()
    return (row["n"] or 0) + 1


def numbers_like(conn: sqlite3.Connection, form: str, estate: str, prefix: str) -> list[str]:
    """Every 编号 of ``form`` in ``estate`` starting with ``prefix``, voided records included (never reused)."""
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    rows = conn.execute("SELECT number FROM records WHERE form = ? AND estate = ? AND number LIKE ? ESCAPE '\\'",
                        (form, estate, escaped + "%")).fetchall()
    return [r["number"] for r in rows]


def record_row(conn: sqlite3.Connection, record_id: str) -> sqlite3.Row | None:
    return conn.execute("SELECT * FROM records WHERE record_id = ? OR archive_no = ?",
                        (record_id, record_id)).fetchone()


# The one definition of "a record as it stands now": the record row with its current version's row.
CURRENT = "records r JOIN versions v ON v.record_id = r.record_id AND v.version = r.current_version"


def current_versions(conn: sqlite3.Connection, columns: str, where: str = "1 = 1", params: Iterable[Any] = (),
                     *, then: str = "") -> list[sqlite3.Row]:
    """Records with their current version (``r`` and ``v``), filtered by ``where``; ``then`` adds GROUP/ORDER BY."""
    sql = f"SELECT {columns} FROM {CURRENT} WHERE {where} {then}"  # noqa: S608 - the callers' own SQL text
    return conn.execute(sql, list(params)).fetchall()


def open_complaints(conn: sqlite3.Connection, end: str, columns: str, where: str = "1 = 1",
                    params: Iterable[Any] = (), *, then: str = "") -> list[sqlite3.Row]:
    """Live complaints (current version) not completed before ``end`` ("YYYY-MM-DD HH:MM:SS"): still open then."""
    return current_versions(
        conn, columns,
        f"r.form = 'complaint' AND r.voided = 0 AND (json_extract(v.fields, '$.\"完成时间\"') IS NULL"
        f" OR json_extract(v.fields, '$.\"完成时间\"') >= ?) AND ({where})", [end, *params], then=then)
