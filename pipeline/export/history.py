"""Which exports of a household were made: read back from the audit log, where each export is recorded
(who, when, purpose, what) by the application layer at the moment it is written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hudang.archive import audit

ACTION = "export"


def exports_of(audit_log: Path, household: str) -> list[dict[str, Any]]:
    """The household's exports, oldest first, as `household show` lists them."""
    return [{"export_id": e.get("export_id"), "at": e.get("at"), "user": e.get("user"),
             "purpose": e.get("purpose"), "full": bool(e.get("full")), "reason": e.get("reason"),
             "items": e.get("items"), "pages": e.get("pages"), "binder": e.get("binder"), "bag": e.get("bag")}
            for e in audit.entries(audit_log) if e.get("action") == ACTION and e.get("household") == household]
