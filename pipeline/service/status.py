"""`hudang status`: is the intake service running, what is waiting, what happened today."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

from hudang.archive.backup import last_state as last_backup
from hudang.archive.locks import held_elsewhere, watch_lock
from hudang.forms.readers.admission import is_hidden, is_temp_file
from hudang.pipeline.intake import quarantine as q
from hudang.settings import MB, Home


def service_running(home: Home) -> bool:
    """The service holds an exclusive lock on run/watch.lock for as long as it lives."""
    return held_elsewhere(watch_lock(home).path)


def backlog(home: Home) -> dict[str, int]:
    """Index updates waiting to be retried, per later step (one file per record under run/backlog/<step>/;
    the only step today is ``index``). Scans waiting for OCR are counted apart, as ``ocr_queue``."""
    root = home.run_dir / "backlog"
    if not root.is_dir():
        return {}
    counts = {step.name: sum(1 for _ in step.glob("*.json")) for step in sorted(root.iterdir()) if step.is_dir()}
    return {k: v for k, v in counts.items() if v}


def status(home: Home) -> dict[str, Any]:
    from hudang.pipeline.service.watch import STATE
    try:
        state = json.loads((home.run_dir / STATE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        state = {}
    running = service_running(home)
    waiting, links = _intake_files(home)
    unsorted = home.root / "unsorted"
    return {
        "running": running,
        "pid": state.get("pid") if running else None,
        "since": state.get("since") if running else None,
        "updated": state.get("updated"),
        "intake": str(home.intake),
        "polling": state.get("polling"),
        "queue": state.get("queue", 0) if running else 0,
        "processing": state.get("processing", 0) if running else 0,
        "today": state.get("today", {"date": None, "counts": {}}),
        "last": state.get("last", []),
        "quarantine": len(q.entries(home.quarantine)),
        "unsorted": sum(1 for p in unsorted.iterdir() if (p / "scan.json").is_file() and not p.name.startswith("."))
        if unsorted.is_dir() else 0,
        "ocr_queue": sum(1 for p in unsorted.glob("S*/scan.json") if '"ocr_pending"' in p.read_text(encoding="utf-8"))
        if unsorted.is_dir() else 0,
        "backlog": backlog(home),
        "waiting_in_intake": waiting,
        "links_in_intake": links,
        "disk": disk(home),
        "paused": state.get("paused") if running else None,
        "backup": last_backup(home.run_dir),
    }


def _intake_files(home: Home, limit: int = 100_000) -> tuple[int, int]:
    """Files sitting in the intake folder (not yet claimed), counted up to a limit, and the entries there the
    service never takes — symbolic links (to files or folders), pipes, devices — which would otherwise be
    counted as waiting forever."""
    count = links = 0
    if not home.intake.is_dir():
        return 0, 0
    for dirpath, dirnames, filenames in os.walk(home.intake):
        links += sum(1 for d in dirnames if not is_hidden(d) and os.path.islink(os.path.join(dirpath, d)))
        dirnames[:] = [d for d in dirnames if not is_hidden(d)]
        for name in filenames:
            if is_temp_file(Path(name)):
                continue
            try:
                mode = os.lstat(os.path.join(dirpath, name)).st_mode
            except OSError:
                continue
            if stat.S_ISREG(mode):
                count += 1
            else:   # a link, a pipe, a device: never taken, so never "waiting"
                links += 1
        if count >= limit:
            break
    return count, links


def disk(home: Home) -> dict[str, Any]:
    """Free space on the data home's file system against ``[limits] min_free_mb``."""
    try:
        st = os.statvfs(home.root)
    except OSError:
        return {"free_mb": None, "min_free_mb": home.limits.min_free_bytes // MB, "low": False}
    free = st.f_bavail * st.f_frsize
    return {"free_mb": free // MB, "min_free_mb": home.limits.min_free_bytes // MB,
            "low": free < home.limits.min_free_bytes}
