"""Keeping a data home: create it, see how the intake service is doing, prove fixity, rebuild the derived parts."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hudang.archive.fixity import FixityProblem
from hudang.pipeline.app.session import Session

TABLE_FOLDERS = ("房屋清单", "收费台账", "催缴记录", "扫描件")
"""Intake sub-folders beside one per form type: dropping a file there fixes what it is."""


@dataclass(frozen=True)
class Initialised:
    home: str
    created: bool
    """False when the home was there already (init is idempotent)."""
    intake: str
    archive: str

    def as_json(self) -> dict[str, Any]:
        return {"home": self.home, "created": self.created, "intake": self.intake, "archive": self.archive}


def init(root: Path) -> Initialised:
    """A data home with its config, catalog, intake folder (one sub-folder per form type), archive, quarantine."""
    from hudang.archive.store import Archive
    from hudang.forms.definitions import load_forms
    from hudang.settings import init_home

    home, created = init_home(root)
    Archive(home).close()
    folders = [form.intake_folder or form.name for form in load_forms([home.forms_dir]) if not form.generated]
    for name in [*folders, *TABLE_FOLDERS]:
        (home.intake / name).mkdir(exist_ok=True)
    return Initialised(str(home.root), created, str(home.intake), str(home.archive))


@dataclass(frozen=True)
class Status:
    """The intake service as `hudang status` shows it: running or not, queues, today's counts, backlogs."""

    running: bool
    pid: int | None
    since: str | None
    updated: str | None
    intake: str
    polling: bool | None
    queue: int
    processing: int
    today: dict[str, Any]
    last: list[dict[str, Any]]
    quarantine: int
    unsorted: int
    ocr_queue: int
    backlog: dict[str, int]
    waiting_in_intake: int
    backup: dict[str, Any] | None
    """The last backup made (when, where, how old), None when there has never been one."""
    links_in_intake: int = 0
    """Symbolic links dropped in the intake: never taken, so not waiting; worth moving away."""
    disk: dict[str, Any] | None = None
    """Free space on the home's file system: free_mb, min_free_mb, low."""
    paused: dict[str, Any] | None = None
    """The running service paused by a full disk: since, reason (Chinese), tries, next_try; None when not."""
    verify: dict[str, Any] | None = None
    """The last verify: at, user, checked, ok, problems; None when never run."""

    def as_json(self) -> dict[str, Any]:
        return {"running": self.running, "pid": self.pid, "since": self.since, "updated": self.updated,
                "intake": self.intake, "polling": self.polling, "queue": self.queue,
                "processing": self.processing, "today": self.today, "last": self.last,
                "quarantine": self.quarantine, "unsorted": self.unsorted, "ocr_queue": self.ocr_queue,
                "backlog": self.backlog, "waiting_in_intake": self.waiting_in_intake, "backup": self.backup,
                "links_in_intake": self.links_in_intake, "disk": self.disk, "paused": self.paused,
                "verify": self.verify}


def status(session: Session) -> Status:
    from hudang.pipeline.service.status import status as service_status

    return Status(**service_status(session.home), verify=last_verify(session))


@dataclass(frozen=True)
class Verified:
    checked: int
    problems: list[FixityProblem]
    backlog: dict[str, int]
    """Later steps waiting to be retried: not a fixity problem, but worth saying."""

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "checked": self.checked, "problems": [p.as_json() for p in self.problems],
                "backlog": self.backlog}


def verify(session: Session) -> Verified:
    """Every archived file against its unit's manifest, and the audit log's chain; a problem found is a
    result, not an error."""
    from hudang.archive.fixity import verify as verify_archive
    from hudang.pipeline.service.status import backlog

    checked, problems = verify_archive(session.home.archive, session.home.audit_log)
    result = Verified(checked, problems, backlog(session.home))
    _save_verify_state(session, result)
    return result


VERIFY_STATE = "verify-state.json"
"""The last `verify` (CLI, timer or web) in the run folder: when, by whom, files checked, problems found."""


def _save_verify_state(session: Session, result: Verified) -> None:
    import json

    from hudang.archive.durable import atomic_write
    from hudang.clock import stamp

    state = {"at": stamp(), "user": session.user, "checked": result.checked, "ok": result.ok,
             "problems": len(result.problems)}
    session.home.run_dir.mkdir(parents=True, exist_ok=True)
    atomic_write(session.home.run_dir / VERIFY_STATE,
                 (json.dumps(state, ensure_ascii=False) + "\n").encode("utf-8"))


def last_verify(session: Session) -> dict[str, Any] | None:
    """The last verify's state (at, user, checked, ok, problems), None when none was run."""
    import json

    try:
        found = json.loads((session.home.run_dir / VERIFY_STATE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return found if isinstance(found, dict) else None


@dataclass(frozen=True)
class Rebuilt:
    estates: int
    records: int
    imports: int
    indexed: int
    """Documents in the rebuilt search index."""

    def as_json(self) -> dict[str, Any]:
        return {"estates": self.estates, "records": self.records, "imports": self.imports, "indexed": self.indexed}


def rebuild(session: Session) -> Rebuilt:
    """The catalog, then the search index, from the archive alone (SPEC §7: both are derived)."""
    from hudang.archive.rebuild import rebuild_catalog
    from hudang.pipeline.intake import backlog

    home, archive = session.home, session.archive
    with archive.writer():
        counts = rebuild_catalog(home.archive, home.catalog_path)
        archive.reconnect()   # the session goes on with the new catalog (a web process lives on)
        indexed = backlog.rebuild_index(home, archive.conn, session.forms, procs=min(4, os.cpu_count() or 1))
    return Rebuilt(counts["estates"], counts["records"], counts["imports"], indexed)
