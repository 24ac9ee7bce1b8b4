"""A household's file and a record as the archivist sees them: read from the catalog, personal data masked.

The views of `hudang household show` / `record show` (and the web's pages), and the 户档摘要's source.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from hudang.archive.catalog import current_versions
from hudang.archive.durable import MANIFEST, read_manifest
from hudang.archive.estates import Place
from hudang.archive.store import Archive
from hudang.clock import now
from hudang.errors import NotFound
from hudang.forms.definitions import FormRegistry
from hudang.forms.masking import masked_values
from hudang.forms.values import mask_text
from hudang.pipeline.dunning.tracking import letter_state
from hudang.pipeline.household import owners


def _masked_event(event: dict[str, Any]) -> dict[str, Any]:
    """Reasons are free text typed by people: ID- and phone-shaped numbers in them are masked."""
    return {k: mask_text(v) if k in ("reason", "note") and isinstance(v, str) else v for k, v in event.items()}


def _summary(row: Any, forms: FormRegistry) -> dict[str, Any]:
    values = json.loads(row["fields"])
    form = next((f for f in forms if f.id == row["form"]), None)
    headline = form.headline_of(values) if form else ""
    if form:
        if row["form"] == "document":
            headline = f"〔{values.get('类别', '其他')}〕{mask_text(values.get('题名', ''))[:40]}"
        if row["form"] == "letter":
            headline = f"{values.get('函件类型', '函件')} {values.get('函号', '')} 欠费 {values.get('欠费金额', '')} 元"
    return {"record_id": row["record_id"], "archive_no": row["archive_no"], "form": row["form"],
            "form_name": form.name if form else row["form"], "number": row["number"], "date": row["form_date"],
            "version": row["current_version"], "voided": bool(row["voided"]),
            "void_reason": mask_text(row["void_reason"] or "") or None, "summary": headline}


def household(archive: Archive, place: Place, forms: FormRegistry, *, include_voided: bool = False,
              day: dt.date | None = None) -> dict[str, Any]:
    """The household's file: the current owner's registration, owners over time and who lives there now
    (pipeline/household/owners.py), every record in date order, the household's own events."""
    conn = archive.conn
    day = day or now().date()
    rows = current_versions(conn, "r.*, v.fields", "r.estate = ? AND r.household = ?", (place.estate, place.key),
                            then="ORDER BY COALESCE(r.form_date, substr(r.filed_at, 1, 10)), r.archive_no")
    room = conn.execute("SELECT * FROM rooms WHERE estate = ? AND key = ?", (place.estate, place.key)).fetchone()
    records = [_summary(r, forms) for r in rows if include_voided or not r["voided"]]
    for rec in records:
        if rec["form"] == "letter":
            rec["letter"] = letter_state(archive, rec["record_id"])
    registration = None
    known = owners.history(conn, place.estate, place.key)
    current = known.current.latest if known.current else None
    regs = [r for r in rows if r["form"] == "registration" and not r["voided"]]
    if regs:
        latest = next((r for r in regs if current and r["record_id"] == current.record_id), regs[-1])
        registration = {"record_id": latest["record_id"], "archive_no": latest["archive_no"],
                        "fields": masked_values(json.loads(latest["fields"]), "registration", forms)}
    for rec in records:
        if rec["form"] == "registration":
            rec["current"] = bool(current and rec["record_id"] == current.record_id)
    moves = []
    # The estate's moves (few) drive the join (CROSS JOIN keeps that order): led by the estate's records, the page
    # walked every record of the estate, a cost that grew with the archive.
    for ev in conn.execute("SELECT e.record_id, e.detail, r.archive_no FROM events e CROSS JOIN records r"
                           " ON r.record_id = e.record_id WHERE e.kind = 'move' AND r.estate = ?", (place.estate,)):
        detail = json.loads(ev["detail"])
        if place.key in (detail.get("from"), detail.get("to")):
            moves.append({"record_id": ev["record_id"], "archive_no": ev["archive_no"], "from": detail["from"],
                          "to": detail["to"], "at": detail["at"], "reason": mask_text(detail.get("reason") or ""),
                          "direction": "out" if detail["from"] == place.key else "in"})
    if not rows and room is None and not moves and not known.moveouts:
        raise NotFound(f"{place.address} 没有档案，也不在房屋清单中", code="no_household")
    return {"household": place.address, "estate": place.estate, "key": place.key,
            "display": room["display"] if room else place.display,
            "owner": room["owner"] if room else None, "area": room["area"] if room else None,
            "registration": registration, "records": records, "moves": moves,
            "owners": [p.as_json() for p in known.periods], "occupants": known.occupants(day),
            "former_occupants": known.former(day),
            "events": [_masked_event(json.loads(e["detail"])) | {"unit": e["unit"]} for e in conn.execute(
                "SELECT unit, detail FROM household_events WHERE estate = ? AND household = ? ORDER BY unit",
                (place.estate, place.key))]}


def record(archive: Archive, record_id: str, forms: FormRegistry, *, reveal: bool = False) -> dict[str, Any]:
    conn = archive.conn
    row = conn.execute("SELECT * FROM records WHERE record_id = ? OR archive_no = ?", (record_id, record_id)).fetchone()
    if row is None:
        raise NotFound(f"找不到档案记录 {record_id}", code="no_record")
    versions = []
    current: dict[str, Any] = {}
    for v in conn.execute("SELECT * FROM versions WHERE record_id = ? ORDER BY version", (row["record_id"],)):
        values = json.loads(v["fields"])
        if v["version"] == row["current_version"]:
            current = values
        versions.append({"version": v["version"], "source_name": v["source_name"], "received_at": v["received_at"],
                         "sha256": v["sha256"], "household": v["household"], "path": v["path"],
                         "warnings": json.loads(v["warnings"] or "[]")})
    events = [_masked_event(json.loads(e["detail"])) | {"unit": e["unit"]} for e in
              conn.execute("SELECT * FROM events WHERE record_id = ? ORDER BY unit", (row["record_id"],))]
    attachments = [{"unit": a["unit"], "name": mask_text(a["name"]), "sha256": a["sha256"],
                    "note": mask_text(a["note"] or ""), "at": a["at"],
                    "path": a["path"]} for a in
                   conn.execute("SELECT * FROM attachments WHERE record_id = ? ORDER BY unit", (row["record_id"],))]
    form = next((f for f in forms if f.id == row["form"]), None)
    files = []
    record_dir = archive.layout.root / row["path"]
    if record_dir.is_dir():
        for unit in sorted(p for p in record_dir.iterdir() if (p / MANIFEST).is_file()):
            for rel, digest in read_manifest(unit).items():
                files.append({"path": f"{row['path']}/{unit.name}/{rel}", "sha256": digest})
    return {"record_id": row["record_id"], "archive_no": row["archive_no"], "form": row["form"],
            "form_name": form.name if form else row["form"], "household": f"{row['estate']}/{row['household']}",
            "number": row["number"], "date": row["form_date"], "version": row["current_version"],
            "voided": bool(row["voided"]), "void_reason": mask_text(row["void_reason"] or "") or None,
            "path": row["path"],
            "fields": current if reveal else masked_values(current, row["form"], forms),
            "versions": versions, "files": files, "events": events, "attachments": attachments, "revealed": reveal,
            "extra_fields": [k for k in current if form is not None and k not in {f.name for f in form.fields}]}
