"""Where a dunning letter is on its way: generated → sent → delivered (or returned), from its record's events."""

from __future__ import annotations

import json
from typing import Any

from hudang.archive.store import Archive

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
