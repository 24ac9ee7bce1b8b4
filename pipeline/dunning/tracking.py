"""After a letter is printed: its number looked up, its post marked (sent, delivered, returned), reminders logged.

Kept apart from `letters` so that tracking a letter or logging a call needs none of the document
libraries that producing letters does.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hudang.archive.estates import Place
from hudang.archive.store import Archive
from hudang.clock import now, stamp
from hudang.errors import NotFound, UsageError
from hudang.pipeline.dunning import fees

NUMBER_RE = re.compile(r"〔(\d{4})〕催字第(\d+)号")
STATES = ("sent", "delivered", "returned")


def letter_number(year: int, serial: int) -> str:
    return f"〔{year}〕催字第{serial:03d}号"


@dataclass(frozen=True)
class LetterRef:
    """The filed letter a tracking step was recorded on."""

    record_id: str
    number: str
    household: str


def find_letter(archive: Archive, number: str, estate: str | None = None) -> Any:
    """A letter record by its number (〔2026〕催字第015号, or 2026-015 for short); ambiguous across estates → ask."""
    m = re.fullmatch(r"\s*(\d{4})\D+0*(\d+)\s*", number)
    wanted = letter_number(int(m[1]), int(m[2])) if m and not NUMBER_RE.fullmatch(number.strip()) else number.strip()
    rows = archive.conn.execute("SELECT * FROM records WHERE form = 'letter' AND number = ?"
                                + (" AND estate = ?" if estate else ""),
                                (wanted, estate) if estate else (wanted,)).fetchall()
    if not rows:
        raise NotFound(f"找不到函号为 {wanted} 的催缴函", code="no_letter")
    if len(rows) > 1:
        raise UsageError(f"函号 {wanted} 在多个项目中都有（{'、'.join(r['estate'] for r in rows)}），请用 --estate 指定")
    return rows[0]


def record_state(archive: Archive, number: str, state: str, *, estate: str | None, day: dt.date,
                 tracking: str | None, receipt: Path | None, note: str | None, user: str) -> LetterRef:
    """Mark a letter sent, delivered (with the signed 送达回执 attached) or returned; the caller holds the writer."""
    if state not in STATES:
        raise UsageError(f"函件状态应为 {'、'.join(STATES)} 之一")
    row = find_letter(archive, number, estate)
    if row["voided"]:
        raise UsageError(f"催缴函 {row['number']} 已作废")
    event: dict[str, Any] = {"kind": state, "at": stamp(), "date": day.isoformat(), "by": user}
    if tracking:
        event["tracking"] = tracking.strip()
    if note:
        event["note"] = note
    if receipt is not None:
        attached = archive.attach(row["record_id"], receipt, "送达回执", user)
        event["receipt"] = attached["attachment"]
    archive.add_event(row["record_id"], event)
    return LetterRef(row["record_id"], row["number"], f"{row['estate']}/{row['household']}")


def add_reminder(archive: Archive, place: Place, method: str, day: dt.date, note: str | None, user: str) -> str:
    """Archive one reminder as a one-row 催缴记录 import, so the ladder and `rebuild` see it like an imported log.

    Returns the import's id; the caller holds the writer."""
    if method not in fees.CALLS:
        raise UsageError(f"催缴方式应为 {'、'.join(fees.CALLS)} 之一（函件由 hudang letters dunning 生成）")
    if day > now().date():
        raise UsageError(f"催缴日期 {day} 晚于今天")
    buf = io.StringIO()
    csv.writer(buf).writerows([["项目", "房号", "日期", "方式", "备注"],
                               [place.estate, place.display, day.isoformat(), method, note or ""]])
    data = buf.getvalue().encode("utf-8-sig")
    row = {"row": 2, "estate": place.estate, "household": place.key, "date": day.isoformat(), "method": method,
           "note": note or None}
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "催缴记录-手工登记.csv"
        source.write_bytes(data)
        provenance = {"source_name": source.name, "sha256": hashlib.sha256(data).hexdigest(),
                      "received_at": stamp(), "entered_by": user, "entered": "hudang reminders add"}
        return archive.file_import("reminders", source, provenance, [row])


LETTER_STATES = {"sent": "已寄出", "delivered": "已送达", "returned": "被退回"}
STATE_TEXT = {"generated": "已生成", **LETTER_STATES}


def letter_state(archive: Archive, record_id: str | None) -> dict[str, Any]:
    """The latest state event wins; delivery is proven only by a delivered event with a filed receipt."""
    if not record_id:
        return {"state": None, "delivery_proven": False}
    state: dict[str, Any] = {"state": "generated", "delivery_proven": False}
    for ev in archive.conn.execute("SELECT kind, detail FROM events WHERE record_id = ? ORDER BY unit",
                                   (record_id,)):
        if ev["kind"] in LETTER_STATES:
            detail = json.loads(ev["detail"])
            state.update(state=ev["kind"], tracking=detail.get("tracking") or state.get("tracking"),
                         state_date=detail.get("date"))
            state["delivery_proven"] = ev["kind"] == "delivered" and bool(detail.get("receipt"))
    state["state_text"] = STATE_TEXT[state["state"]]
    return state
