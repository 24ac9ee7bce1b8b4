"""Private working copies belong to the process that made them: a folder named for its owner, swept as soon
as that owner is gone (a killed run's snapshots hold full ID numbers; they must not wait a day).

An owner is its PID and the kernel's start time of that process, so a PID reused by another process does
not keep a dead run's leftovers alive.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import time
from pathlib import Path

_TAG = re.compile(r"^p(?P<pid>[0-9]+)-(?P<start>[0-9]+)(?:-|$)")
LEGACY_GRACE_S = 600   # entries from before owner tags: surely dead when this old


def _start_time(pid: int) -> int | None:
    """The process's start time in clock ticks since boot (Linux /proc); None when unknown."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            fields = fh.read().rsplit(b")", 1)[1].split()
        return int(fields[19])
    except (OSError, IndexError, ValueError):
        return None


@functools.cache
def owner_tag() -> str:
    """This process as an owner, e.g. ``p4242-1733201234``."""
    return f"p{os.getpid()}-{_start_time(os.getpid()) or 0}"


def alive(tag: str) -> bool | None:
    """Whether the owner named at the start of ``tag`` still runs; None when ``tag`` names no owner."""
    m = _TAG.match(tag)
    if not m:
        return None
    pid, start = int(m["pid"]), int(m["start"])
    if pid == os.getpid():
        return start == (_start_time(pid) or 0)
    now = _start_time(pid)
    if now is not None:
        return start == 0 or now == start
    if os.path.isdir("/proc"):
        return False  # /proc is there and the pid is not
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove(entry: Path) -> None:
    if entry.is_dir() and not entry.is_symlink():
        shutil.rmtree(entry, ignore_errors=True)
    else:
        entry.unlink(missing_ok=True)


def sweep(folder: Path, *, prefix: str = "") -> int:
    """Remove the entries of ``folder`` (named ``prefix`` + owner tag …) whose owner is dead; entries
    that name no owner (an older version's) go once they are some minutes old. Returns how many went."""
    if not folder.is_dir():
        return 0
    gone = 0
    cutoff = time.time() - LEGACY_GRACE_S
    for entry in folder.iterdir():
        if not entry.name.startswith(prefix):
            continue
        state = alive(entry.name[len(prefix):])
        try:
            if state is False or (state is None and entry.lstat().st_mtime < cutoff):
                _remove(entry)
                gone += 1
        except OSError:
            continue
    return gone


def drop_own(folder: Path) -> None:
    """At the end of a run: our own (by now empty) folder goes."""
    try:
        (folder / owner_tag()).rmdir()
    except OSError:
        pass
