"""The quarantine: what was rejected and why, and taking it in again after a fix."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hudang.clock import stamp
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


def entries(session: Session, *, resolved: bool = False, dismissed: bool = False) -> Quarantined:
    """Pending entries; or those retried successfully (``resolved``), or those set aside (``dismissed``)."""
    if resolved and dismissed:
        raise UsageError("--resolved 与 --dismissed 只能选一个")
    return Quarantined(q.entries(session.home.quarantine, resolved=resolved, dismissed=dismissed))


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
    document = entry.get("document")   # a 文件 stays one: its household, 题名 and 类别 as first given
    outcomes = run_ingest(session.home, [path / entry["file"]], workers=1, retry_of=entry["id"],
                          folder_form=None if document else entry.get("form_name"),
                          options=TableOptions(**table) if table else None, document=document)
    out = outcomes[0].as_json() if outcomes else {"status": QUARANTINED}
    out["source"] = entry["source"]
    if out["status"] not in (QUARANTINED, PARTIAL):
        q.resolve(session.home.quarantine, entry["id"], out)
    return Retried(entry["id"], out)


def retry(session: Session, ids: list[str]) -> Retries:
    """Retry the named entries (all pending ones when none is named)."""
    pending = [e for e in q.entries(session.home.quarantine) if not ids or e["id"] in ids]
    missing = set(ids) - {e["id"] for e in pending}
    aside = sorted(missing & {e["id"] for e in q.entries(session.home.quarantine, dismissed=True)})
    if aside:
        raise UsageError(f"隔离记录已搁置：{'、'.join(aside)}（先用 hudang quarantine restore 恢复，再重试）",
                         code="dismissed")
    if missing:
        raise UsageError(f"找不到隔离记录：{'、'.join(sorted(missing))}")
    return Retries([_retry_one(session, entry) for entry in pending])


@dataclass(frozen=True)
class Dismissed:
    """An entry set aside (已搁置) or brought back: who, when, why (masked)."""

    id: str
    state: str
    """``dismissed`` (已搁置) or ``pending`` (restored)."""
    reason: str
    by: str
    at: str

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "state": self.state, "reason": self.reason, "by": self.by, "at": self.at}


def dismiss(session: Session, qid: str, reason: str) -> Dismissed:
    """Set a pending entry aside with a reason (it stays kept, listed apart); `restore` undoes it."""
    if not reason.strip():
        raise UsageError("请用 --reason 写明搁置原因", code="no_reason")
    pending = {e["id"] for e in q.entries(session.home.quarantine)}
    if qid not in pending:
        aside = {e["id"] for e in q.entries(session.home.quarantine, dismissed=True)}
        raise UsageError(f"隔离记录 {qid} 已搁置" if qid in aside else f"找不到待处理的隔离记录 {qid}",
                         code="dismissed" if qid in aside else "no_quarantine")
    note = q.dismiss(session.home.quarantine, qid, reason.strip(), session.user)
    session.audit("quarantine_dismiss", quarantine_id=qid, reason=reason.strip())
    return Dismissed(qid, "dismissed", note["reason"], note["by"], note["at"])


def restore(session: Session, qid: str) -> Dismissed:
    """A dismissed entry back on the pending list (to be fixed and retried after all)."""
    note = q.restore(session.home.quarantine, qid)
    session.audit("quarantine_restore", quarantine_id=qid)
    return Dismissed(qid, "pending", note.get("reason", ""), session.user, stamp())


@dataclass(frozen=True)
class QuarantineFile:
    path: Path
    name: str


def _pending_entry(session: Session, qid: str, *, dismissed: bool = False) -> dict[str, Any]:
    for e in q.entries(session.home.quarantine) + (q.entries(session.home.quarantine, dismissed=True)
                                                   if dismissed else []):
        if e["id"] == qid:
            return e
    from hudang.errors import NotFound

    raise NotFound(f"找不到隔离记录 {qid}", code="no_quarantine")


def entry(session: Session, qid: str) -> dict[str, Any]:
    """One pending or set-aside entry (for its estate check before anything is done with it)."""
    return _pending_entry(session, qid, dismissed=True)


def file_of(session: Session, qid: str) -> QuarantineFile:
    """The quarantined file as it was received, for download (audited: it may hold personal data)."""
    e = _pending_entry(session, qid, dismissed=True)
    path = Path(e["path"]) / str(e.get("file") or "")
    if not e.get("file") or not path.is_file():
        from hudang.errors import NotFound

        raise NotFound(f"隔离记录 {qid} 没有保存文件（文件过大时只记报告）", code="no_file")
    session.audit("quarantine_download", quarantine_id=qid)
    return QuarantineFile(path, str(e["file"]))


def retry_corrected(session: Session, qid: str, name: str, data: bytes) -> Retried:
    """Put a corrected file in place of the quarantined one and retry it. The earlier file is kept beside
    it (``<name>.之前-N``), so nothing is lost; the retry is audited."""
    from hudang.archive.paths import safe_filename
    from hudang.pipeline.intake.quarantine import write_report

    e = _pending_entry(session, qid)
    folder = Path(e["path"])
    if e.get("file") and (folder / e["file"]).is_file():
        n = 1
        while (folder / f"{e['file']}.之前-{n}").exists():
            n += 1
        (folder / e["file"]).rename(folder / f"{e['file']}.之前-{n}")
    stored = safe_filename(name or e.get("file") or "file")
    (folder / stored).write_bytes(data)
    report = {k: v for k, v in e.items() if k not in ("path",) and not k.startswith("dismiss")}
    report["file"] = stored
    write_report(folder, report)
    session.audit("quarantine_retry", quarantine_id=qid, corrected=True)
    return _retry_one(session, {**e, "file": stored})
