"""The quarantine: what was rejected and why, and taking it in again after a fix."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hudang.errors import UsageError
from hudang.pipeline.app.session import Session
from hudang.pipeline.intake import quarantine as q
from hudang.pipeline.intake.outcomes import PARTIAL, QUARANTINED
from hudang.pipeline.intake.runner import ingest as run_ingest
from hudang.pipeline.intake.stages import TableOptions


@dataclass(frozen=True)
class Quarantined:
    entries: list[dict[str, Any]]
    """Each entry's report as written beside the file (masked), plus its folder as ``path``."""

    def as_json(self) -> dict[str, Any]:
        return {"entries": self.entries}


def entries(session: Session, *, resolved: bool = False) -> Quarantined:
    return Quarantined(q.entries(session.home.quarantine, resolved=resolved))


@dataclass(frozen=True)
class Retried:
    id: str
    outcome: dict[str, Any]
    """The new outcome's JSON with the original source name, or why nothing could be retried."""

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, **self.outcome}


@dataclass(frozen=True)
class Retries:
    results: list[Retried]

    def as_json(self) -> dict[str, Any]:
        return {"results": [r.as_json() for r in self.results]}


def _retry_one(session: Session, entry: dict[str, Any]) -> Retried:
    """The entry leaves the pending list only when its file was taken; a partial batch stays to be fixed."""
    path = Path(entry["path"])
    if not entry.get("file") or not (path / entry["file"]).is_file():
        return Retried(entry["id"], {"status": QUARANTINED, "message": "没有可重试的文件"})
    # The form name the entry was read as fixes the type, as the intake sub-folder it came from did.
    table = entry.get("table")   # an import table is read again with the estate and profile it had
    outcomes = run_ingest(session.home, [path / entry["file"]], workers=1, retry_of=entry["id"],
                          folder_form=entry.get("form_name"), options=TableOptions(**table) if table else None)
    out = outcomes[0].as_json() if outcomes else {"status": QUARANTINED}
    out["source"] = entry["source"]
    if out["status"] not in (QUARANTINED, PARTIAL):
        q.resolve(session.home.quarantine, entry["id"], out)
    return Retried(entry["id"], out)


def retry(session: Session, ids: list[str]) -> Retries:
    """Retry the named entries (all pending ones when none is named)."""
    pending = [e for e in q.entries(session.home.quarantine) if not ids or e["id"] in ids]
    missing = set(ids) - {e["id"] for e in pending}
    if missing:
        raise UsageError(f"找不到隔离记录：{'、'.join(sorted(missing))}")
    return Retries([_retry_one(session, entry) for entry in pending])
