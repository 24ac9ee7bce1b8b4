"""Claim, then file: the intake service owns a dropped file only once it has renamed it away.

Files are claimed a round at a time. A round is a folder ``<intake>/.processing/<round id>/``: its
``journal.json`` (origin, size and mtime of every file in the round) is written and synced first,
then each file moves in by one atomic rename on the intake folder's own file system (also on a
network share), as ``<NNNNN>-<name>``. One journal write and a handful of folder syncs cover the
whole round, however many files it holds. After a file's record is durable it moves on to
``<intake>/.done/YYYY-MM-DD/`` (or is removed, per config) on a thread of its own; the round's folder
goes once its last file has left. At start-up every file still in a round is finished (it is there)
or needs nothing (it never left the intake folder, or it had already reached ``.done``).
"""

from __future__ import annotations

import errno
import json
import logging
import os
import queue
import shutil
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from hudang.archive.durable import fsync_dir, write_bytes
from hudang.archive.paths import safe_filename
from hudang.clock import now, stamp
from hudang.escapes import printable_name

log = logging.getLogger("hudang.watch")

PROCESSING = ".processing"
DONE = ".done"
RELEASE_RETRY = 5.0   # seconds between tries of a release the full disk refused
JOURNAL = "journal.json"
OLD_JOURNAL = "claim.json"   # one folder per claim, as services before rounds left them


@dataclass(frozen=True)
class Claim:
    id: str             # unique; recorded in the provenance of what it filed, so a restart knows its own work
    folder: Path        # the round's folder
    file: Path          # the claimed file, inside the round's folder
    origin: Path        # where it was dropped
    size: int = -1      # size and mtime when claimed (to notice a writer still at work)
    mtime: float = 0.0
    name: str = ""      # the name it is kept under in .done

    @property
    def relative(self) -> str:
        return str(self.origin)


def printable(name: str) -> str:
    """A file name that is not valid UTF-8 shown and kept with its bytes escaped (`\\xb2`)."""
    return printable_name(name)


def _sync(folder: Path) -> None:
    try:
        fsync_dir(folder)
    except OSError as exc:  # a share that refuses to sync a folder still renamed the file
        log.debug("fsync %s: %s", folder, exc)


def claim_round(intake: Path, wanted: list[tuple[Path, int, float]]) -> list[Claim]:
    """Take ``wanted`` (path, size, mtime) away from the intake folder in one round.

    Files gone meanwhile (moved, or taken by someone else) are left out of the result."""
    if not wanted:
        return []
    root = intake / PROCESSING
    root.mkdir(parents=True, exist_ok=True)
    rid = f"{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:8]}"  # folders sort in claim order
    folder = root / rid
    folder.mkdir()
    entries = []
    for n, (path, size, mtime) in enumerate(wanted):
        name = safe_filename(printable(path.name))
        # ensure_ascii: a name that is not valid UTF-8 (surrogate-escaped) still round-trips
        entries.append({"n": n, "file": f"{n:05d}-{name}", "name": name,
                        "origin": path.relative_to(intake).as_posix(), "size": size, "mtime": mtime})
    write_bytes(folder / JOURNAL, json.dumps({"round": rid, "at": stamp(), "files": entries}).encode("ascii"))
    _sync(folder)
    _sync(root)
    claims, parents = [], set()
    for entry, (path, size, mtime) in zip(entries, wanted, strict=True):
        target = folder / entry["file"]
        try:
            os.rename(path, target)
        except FileNotFoundError:
            continue
        except OSError as exc:  # one odd file must never stop the round
            log.warning("无法领取文件 %s：%s", printable(str(path)), exc)
            continue
        parents.add(path.parent)
        claims.append(Claim(f"{rid}-{entry['n']:05d}", folder, target, path, size, mtime, entry["name"]))
    if not claims:
        shutil.rmtree(folder, ignore_errors=True)
        return []
    for p in (folder, *parents):
        _sync(p)
    return claims


def changed_since_claim(c: Claim) -> bool:
    """The writer kept writing through its open handle after we claimed the file."""
    try:
        st = os.stat(c.file)
    except OSError:
        return False
    return c.size >= 0 and (st.st_size, st.st_mtime) != (c.size, c.mtime)


def give_back(c: Claim) -> bool:
    """Undo a claim (a file still being written): put it back where it was dropped.

    The round's folder stays (other files of the round may still be in it): see `Releaser.forget`."""
    if c.origin.exists():
        return False  # someone dropped a new file with that name meanwhile: keep ours claimed
    c.origin.parent.mkdir(parents=True, exist_ok=True)
    os.rename(c.file, c.origin)
    return True


def _done_day(intake: Path) -> Path:
    day = intake / DONE / now().strftime("%Y-%m-%d")
    day.mkdir(parents=True, exist_ok=True)
    return day


def release(intake: Path, c: Claim, after_filing: str) -> Path | None:
    """The record is durable: move the file to today's done folder (or remove it)."""
    if not c.file.exists():
        return None
    if after_filing == "remove":
        c.file.unlink()
        return None
    day = _done_day(intake)
    name = c.name or c.file.name
    kept = day / name
    if kept.exists():
        kept = day / f"{now().strftime('%H%M%S')}-{c.id[-12:]}-{name}"
    os.rename(c.file, kept)
    return kept


def end_round(folder: Path) -> None:
    """Every file of the round has left: drop its journal and folder."""
    shutil.rmtree(folder, ignore_errors=True)


class Releaser:
    """Releases claims on a thread of its own, so the writer never waits for renames into ``.done``.

    Every action goes through one queue, in order: ``opened`` (claims made), ``release`` (record
    durable), ``forget`` (given back). A round's folder is removed once none of its claims is left.
    A release that never ran (the service was killed) is finished at the next start."""

    def __init__(self, intake: Path, after_filing: str) -> None:
        self.intake = intake
        self.after_filing = after_filing
        self._q: queue.Queue[tuple[str, Claim] | None] = queue.Queue()
        self._open: Counter[Path] = Counter()
        self._failed: list[tuple[str, Claim]] = []   # releases the disk refused (full): tried again shortly
        self._thread = threading.Thread(target=self._run, name="hudang-release", daemon=True)
        self._thread.start()

    def opened(self, claims: list[Claim]) -> None:
        for c in claims:
            self._q.put(("open", c))

    def release(self, c: Claim, *, keep: bool = False) -> None:
        """``keep``: moved to ``.done`` even when files are removed after filing (quarantine has no copy)."""
        self._q.put(("keep" if keep else "release", c))

    def forget(self, c: Claim) -> None:
        self._q.put(("forget", c))

    def close(self) -> None:
        """Finish every release asked for, then stop."""
        self._q.put(None)
        self._thread.join()

    def _run(self) -> None:
        stop = False
        while not stop:
            try:
                actions = [*self._failed, self._q.get(timeout=RELEASE_RETRY if self._failed else None)]
            except queue.Empty:
                actions = list(self._failed)
            self._failed = []
            while True:  # take whatever else is waiting: one folder sync per batch, not per file
                try:
                    actions.append(self._q.get_nowait())
                except queue.Empty:
                    break
            touched: set[Path] = set()   # folders whose entries changed: synced before any journal goes
            ended: list[Path] = []
            for action in actions:
                if action is None:
                    stop = True
                    continue
                what, c = action
                if what == "open":
                    self._open[c.folder] += 1
                    continue
                if what in ("release", "keep"):
                    try:
                        kept = release(self.intake, c, "move" if what == "keep" else self.after_filing)
                    except OSError as exc:  # left in its round: tried again, or the next start finishes it
                        if exc.errno in (errno.ENOSPC, errno.EDQUOT) and not stop:
                            self._failed.append(action)
                        else:
                            log.warning("无法移走已归档的文件 %s：%s", printable(str(c.origin)), exc)
                        continue
                    touched.add(kept.parent if kept is not None else c.folder)
                self._open[c.folder] -= 1
                if self._open[c.folder] <= 0:
                    del self._open[c.folder]
                    ended.append(c.folder)
            for folder in touched:
                _sync(folder)
            for folder in ended:
                end_round(folder)


def pending(intake: Path) -> list[Claim]:
    """Claims a killed service left: the files still in a round folder, in claim order.

    A file the journal names but the folder lacks needs nothing: it never left the intake folder
    (killed before its rename) or it had already reached ``.done``."""
    root = intake / PROCESSING
    if not root.is_dir():
        return []
    found: list[Claim] = []
    for folder in sorted(root.iterdir()):
        if not folder.is_dir():
            continue
        files = {p.name: p for p in folder.iterdir() if p.is_file() and p.name not in (JOURNAL, OLD_JOURNAL)}
        if not files:
            shutil.rmtree(folder, ignore_errors=True)
            continue
        if (folder / OLD_JOURNAL).exists() or not (folder / JOURNAL).exists():
            found.extend(_old_claim(intake, folder, files))
            continue
        try:
            journal = json.loads((folder / JOURNAL).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            journal = {"files": []}
        named = set()
        for entry in journal.get("files", []):
            p = files.get(entry["file"])
            if p is not None:
                named.add(p.name)
                found.append(Claim(f"{folder.name}-{int(entry['n']):05d}", folder, p, intake / entry["origin"],
                                   name=entry.get("name", "")))  # size unknown after a restart: no re-check
        for name in sorted(set(files) - named):  # not in the journal (it was lost): keep the name it came with
            n, _, rest = name.partition("-")
            found.append(Claim(f"{folder.name}-{n}", folder, files[name], intake / (rest or name), name=rest or name))
    return found


def _old_claim(intake: Path, folder: Path, files: dict[str, Path]) -> list[Claim]:
    try:
        meta = json.loads((folder / OLD_JOURNAL).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        meta = None
    first = sorted(files.values())[0]
    origin = intake / (meta["origin"] if meta else first.name)
    return [Claim(folder.name, folder, first, origin, name=first.name)]
