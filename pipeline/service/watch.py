"""``hudang watch``: the intake service.

Watcher events are hints: a file is taken once its size and mtime have held still for the stability
window, and a scan at start-up plus a periodic rescan take whatever events missed. A file is claimed
(renamed into ``.processing``), read by the worker pool, filed by the single writer, and released to
``.done`` only after its record is durable. One service per data home.

A full disk pauses the service instead of stopping it: what was filed stays filed, the files in hand stay
claimed, and the service tries them again after a growing wait (PAUSE_FIRST doubling up to PAUSE_MOST),
resuming by itself once there is room; `hudang status` and the log say so in Chinese.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import stat
import threading
import time
from collections import Counter, deque
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path, PurePath
from types import FrameType
from typing import Any, Protocol

from watchdog.events import (
    DirCreatedEvent,
    DirMovedEvent,
    FileClosedEvent,
    FileCreatedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver
from watchdog.observers.polling import PollingObserverVFS

from hudang.archive.durable import atomic_write
from hudang.archive.locks import watch_lock
from hudang.clock import now, stamp
from hudang.errors import Rejection, disk_full, disk_full_message, os_reason
from hudang.forms.masking import mask_name
from hudang.forms.readers.admission import in_hidden_folder, is_hidden, is_temp_file
from hudang.pipeline.intake import stages
from hudang.pipeline.intake.outcomes import QUARANTINED, Outcome
from hudang.pipeline.intake.readers import Readers
from hudang.pipeline.intake.stages import Context
from hudang.pipeline.intake.writer import file_items
from hudang.pipeline.service import claims
from hudang.pipeline.service.status import backlog
from hudang.settings import Home

log = logging.getLogger("hudang.watch")
LINKED_FOLDER = "是指向别处的符号链接（文件夹），收件夹里的链接不跟随，其中的文件不接收"
CLAIM_TROUBLE_EVERY = 600.0   # seconds between repeats of "cannot claim" while the intake stays unusable

# Reading failures that a writer still at work causes: retried once the file holds still again.
RETRY_CODES = frozenset({"corrupt", "empty_file", "wrong_type", "bad_json", "no_header", "unreadable",
                         "no_fields"})
MAX_RETRIES = 3
PAUSE_FIRST, PAUSE_MOST = 2.0, 120.0   # seconds to the first retry after a full disk; the longest wait
# The events that say a file arrived or changed; the kernel is not even asked for opens, reads and deletions
# (our own readers open every claimed file).
HINTS: list[type[FileSystemEvent]] = [FileCreatedEvent, DirCreatedEvent, FileModifiedEvent, FileMovedEvent,
                                      DirMovedEvent, FileClosedEvent]
STATE = "watch-state.json"


@dataclass
class Seen:
    size: int
    mtime: float
    since: float          # when we first saw this (size, mtime)
    not_before: float = 0.0
    dev: int = 0
    ino: int = 0


def open_elsewhere() -> set[tuple[int, int]]:
    """(device, inode) of every file some process holds open: a file being written is not taken.

    Reads /proc like lsof; a process we may not inspect is skipped."""
    busy: set[tuple[int, int]] = set()
    me = str(os.getpid())
    try:
        pids = [p for p in os.listdir("/proc") if p.isdigit() and p != me]
    except OSError:
        return busy
    for pid in pids:
        fd_dir = f"/proc/{pid}/fd"
        try:
            fds = os.listdir(fd_dir)
        except OSError:
            continue
        for fd in fds:
            try:
                st = os.stat(f"{fd_dir}/{fd}")
            except OSError:
                continue
            if stat.S_ISREG(st.st_mode):
                busy.add((st.st_dev, st.st_ino))
    return busy


def _visible(path: str | None) -> Iterator[os.DirEntry[str]]:
    """What the polling observer lists: hidden entries (``.processing``, ``.done``, which only grow) never."""
    with os.scandir(path) as entries:
        yield from [e for e in entries if not is_hidden(e.name)]


class _Hints(FileSystemEventHandler):
    """Collects paths from watchdog's thread; the service's own loop decides what to take.

    Events under hidden folders (the service's own ``.processing`` and ``.done``) are dropped first thing."""

    def __init__(self, intake: Path) -> None:
        self.lock = threading.Lock()
        self.prefix = os.fsdecode(os.path.join(intake, ""))
        self.paths: set[str] = set()
        self.folders: set[str] = set()

    def _add(self, path: str | bytes, folder: bool = False) -> None:
        p = os.fsdecode(path)
        rel = p[len(self.prefix):] if p.startswith(self.prefix) else p
        if in_hidden_folder(PurePath(rel)):
            return
        with self.lock:
            (self.folders if folder else self.paths).add(p)

    def on_created(self, event: FileSystemEvent) -> None:
        self._add(event.src_path, event.is_directory)

    def on_modified(self, event: FileSystemEvent) -> None:
        if not event.is_directory:
            self._add(event.src_path)

    def on_closed(self, event: FileSystemEvent) -> None:
        self._add(event.src_path)

    def on_moved(self, event: FileSystemEvent) -> None:
        self._add(event.dest_path, event.is_directory)  # a folder moved in: its files come with a scan of it

    def drain(self) -> tuple[set[str], set[str]]:
        with self.lock:
            paths, folders, self.paths, self.folders = self.paths, self.folders, set(), set()
        return paths, folders


class Beside(Protocol):
    """Something that runs for the life of the service (the CLI's quick search: pipeline/cli/quick.py)."""

    def start(self) -> None: ...

    def close(self) -> None: ...


class Service:
    def __init__(self, home: Home, *, polling: bool | None = None, workers: int | None = None) -> None:
        self.home = home
        self.settings = home.watch
        self.polling = self.settings.polling if polling is None else polling
        self.intake = home.intake
        self.ctx = Context.load(home)
        self.workers = workers
        self.seen: dict[Path, Seen] = {}
        self.retries: Counter[Path] = Counter()
        self.claimed: dict[str, claims.Claim] = {}
        self.stopping = False
        self.overflow = False    # the queue was full when files were found: rescan as soon as it has room
        self.refused: set[Path] = set()   # entries left in the intake (links, pipes, devices), logged once
        self.claim_trouble: tuple[str, float] = ("", 0.0)   # why files cannot be claimed, when last logged
        self.since = stamp()
        self.today = now().strftime("%Y-%m-%d")
        self.counts: Counter[str] = Counter()
        self.last: deque[dict[str, Any]] = deque(maxlen=20)
        self._lock = watch_lock(home)
        self._state_written = 0.0
        self._mtimes: dict[str, float] = {}
        self._releaser: claims.Releaser | None = None
        self._fresh: list[Path] = []   # noted since the last `_stamp`
        self._next_due = 0.0           # when the next window ends
        self.paused: dict[str, Any] | None = None   # the disk is full: since, reason, tries, next_try
        self._resume_at = 0.0
        self._load_counts()

    # ---- one service per data home ----

    def acquire(self) -> None:
        """Held for the life of the process; the kernel lets go when it exits."""
        self._lock.acquire()

    # ---- the loop ----

    def _observer(self) -> BaseObserver:
        if self.polling:
            return PollingObserverVFS(os.stat, _visible, polling_interval=max(0.2, self.settings.stable_seconds / 4))
        return Observer()

    def run(self, beside: Beside | None = None) -> int:
        """Until SIGTERM or Ctrl+C. ``beside`` (the CLI's quick search) is started once this process holds the
        home's service lock, and closed when the service stops."""
        from hudang.pipeline.intake.runner import sweep_leftovers

        self.acquire()
        try:
            if beside is not None:
                beside.start()   # first, while this process has no other thread (it may fork)
        except OSError as exc:    # what runs beside is a help, never a reason not to take files
            log.warning("附带功能未启用：%s", exc)
        sweep_leftovers(self.home)   # a killed service's (or hand run's) private copies go before we start
        self.intake.mkdir(parents=True, exist_ok=True)
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        hints = _Hints(self.intake)
        observer = self._observer()
        observer.schedule(hints, str(self.intake), recursive=True, event_filter=HINTS)
        observer.start()
        log.info("接收服务启动：%s（%s）", self.intake, "轮询" if self.polling else "inotify")
        tick = min(0.25, max(0.05, self.settings.stable_seconds / 8))
        self._releaser = claims.Releaser(self.intake, self.settings.after_filing)
        try:
            with Readers(self.ctx, self.workers, parallel_min=2) as readers:
                readers.start()  # the workers start while the first files hold still, not after
                try:
                    self._finish_claims(readers)
                except Exception as exc:
                    if not _disk_full(exc):
                        raise
                    self._pause(exc)   # the claims left are in hand: filed when the service resumes
                last_scan = 0.0
                while not self.stopping:
                    try:
                        if self.paused is not None:
                            if not self._resume(readers, hints):
                                continue
                            last_scan = 0.0   # what arrived meanwhile is looked for at once
                        last_scan = self._round(readers, hints, last_scan, tick)
                    except Exception as exc:
                        if not _disk_full(exc):
                            raise
                        self._pause(exc)
        finally:
            if beside is not None:
                beside.close()
            observer.stop()
            observer.join(timeout=5)
            self._releaser.close()  # every durable record's file leaves .processing before we go
            self._write_state(force=True, running=False)
            log.info("接收服务已停止")
        return 0

    def _round(self, readers: Readers, hints: _Hints, last_scan: float, tick: float) -> float:
        """One turn of the loop: rescan when due, take the hints, take the files that held still."""
        t = time.monotonic()
        if t - last_scan >= self.settings.rescan_seconds or last_scan == 0.0 or (
                self.overflow and len(self.seen) < self.settings.max_queue // 2):
            self.overflow = False
            self._scan(self.intake)
            self._stamp()
            if backlog(self.home):  # later steps that failed are retried even when no file comes
                file_items(self.ctx, [], iter(()))
            self._ocr_queue()
            last_scan = t
        paths, folders = hints.drain()
        for p in folders:
            self._scan(Path(p))
        for p in paths:
            self._note(Path(p))
        self._stamp()
        ready = self._ready()
        if ready:
            self._take(ready, readers)
        else:
            self._write_state()
            time.sleep(min(tick, max(0.01, self._next_due - time.monotonic())))  # wake when a window ends
        return last_scan

    # ---- a full disk: pause, retry, resume ----

    def _pause(self, exc: BaseException) -> None:
        """Nothing new is claimed; the files in hand stay claimed and are tried again after a growing wait."""
        tries = self.paused["tries"] + 1 if self.paused else 1
        wait = min(PAUSE_MOST, PAUSE_FIRST * 2 ** (tries - 1))
        self._resume_at = time.monotonic() + wait
        cause = exc.__cause__ if getattr(exc, "code", None) == "disk_full" and exc.__cause__ else exc
        reason = (f"{disk_full_message(cause).split('。')[0]}。接收已暂停，已领取的 {len(self.claimed)} 个文件"
                  "保留在处理区，腾出空间后自动继续，无需重启")
        since = self.paused["since"] if self.paused else stamp()
        self.paused = {"since": since, "reason": reason, "tries": tries,
                       "next_try": (now() + timedelta(seconds=wait)).isoformat(timespec="seconds")}
        log.warning("%s（第 %d 次，%g 秒后重试）", reason, tries, wait)
        self._write_state(force=True)

    def _resume(self, readers: Readers, hints: _Hints) -> bool:
        """While paused, hints are noted (in memory only); when the wait is over, the files in hand are filed
        again — a full disk again pauses longer (raised to the loop). True once the service is running again."""
        paths, folders = hints.drain()
        for p in paths:
            self._note(Path(p))
        self._stamp()
        if time.monotonic() < self._resume_at or self.stopping:
            self._write_state()
            time.sleep(0.25)
            return False
        assert self.paused is not None
        in_hand = list(self.claimed.values())
        if in_hand:
            self._file(in_hand, readers)   # a full disk again raises, and the loop pauses longer
        paused, self.paused = self.paused, None
        log.info("磁盘空间已恢复，接收继续（自 %s 起因磁盘写满暂停，重试 %d 次）", paused["since"], paused["tries"])
        self._write_state(force=True)
        return True

    _ocr_thread: threading.Thread | None = None

    def _ocr_queue(self) -> None:
        """Scans that waited for Tesseract are read once it is there, on a thread beside the intake loop
        (the OCR itself runs in worker processes; filing waits its turn for the writer lock)."""
        from hudang.pipeline.scans import queue

        if self._ocr_thread is not None and self._ocr_thread.is_alive():
            return
        if not any(d["state"] == queue.OCR_PENDING for d in queue.entries(self.home)):
            return

        def job() -> None:
            try:
                for result in queue.process_if_possible(self.home, self.ctx.forms, 1):
                    log.info("文字识别队列：%s %s %s", result["scan_id"], result["status"], result.get("household", ""))
            except Exception:
                log.exception("文字识别队列处理失败，下次重新扫描时再试")

        self._ocr_thread = threading.Thread(target=job, name="hudang-ocr-queue", daemon=True)
        self._ocr_thread.start()

    def _stop(self, signum: int, frame: FrameType | None) -> None:
        self.stopping = True

    # ---- what to take ----

    def _wanted(self, path: Path) -> bool:
        try:
            rel = path.relative_to(self.intake)
        except ValueError:
            return False
        if in_hidden_folder(rel) or is_temp_file(path):
            return False
        linked = self._linked_folder(path.parent)
        if linked is not None:
            self._refuse(linked, LINKED_FOLDER)
            return False
        return True

    def _linked_folder(self, folder: Path) -> Path | None:
        """The first folder between the intake and ``folder`` that is a symbolic link, if any: the service
        never reaches a file through a link (a link to a folder outside would have its files moved away)."""
        here = self.intake
        try:
            parts = folder.relative_to(self.intake).parts
        except ValueError:
            return None
        for part in parts:
            here = here / part
            try:
                if stat.S_ISLNK(os.lstat(here).st_mode):
                    return here
            except OSError:   # gone, or past PATH_MAX: nothing there is taken (the walk names what it cannot open)
                return None
        return None

    def _refuse(self, path: Path, why: str) -> None:
        """Say once in the log why an entry of the intake is left where it is (`hudang status` counts them)."""
        if path not in self.refused:
            self.refused.add(path)
            log.warning("收件夹中的 %s %s", path, why)

    def _scan(self, folder: Path) -> None:
        linked = self._linked_folder(folder)
        if linked is not None:
            self._refuse(linked, LINKED_FOLDER)
            return
        def unlisted(exc: OSError) -> None:   # a folder past PATH_MAX, or not readable: named, not silent
            where = Path(os.fsdecode(exc.filename)) if exc.filename is not None else folder
            self._refuse(where, f"文件夹无法打开（{os_reason(exc)}），其中的文件不接收（请移到较浅、可读的文件夹）")

        for dirpath, dirnames, filenames in os.walk(folder, onerror=unlisted):   # links to folders: not entered
            dirnames[:] = [d for d in dirnames if not is_hidden(d)]
            for name in dirnames:
                if os.path.islink(os.path.join(dirpath, name)):
                    self._refuse(Path(dirpath) / name, LINKED_FOLDER)
            for name in filenames:
                self._note(Path(dirpath) / name)

    def _note(self, path: Path) -> None:
        """A hint about ``path``: start its stability window, or restart it if the file changed (see `_stamp`)."""
        seen = self.seen.get(path)
        if seen is None and (len(self.seen) >= self.settings.max_queue or not self._wanted(path)):
            if len(self.seen) >= self.settings.max_queue:
                self.overflow = True  # beyond the bound the files wait for the next scan
            return
        try:
            st = os.lstat(path)
        except OSError:
            return
        if not stat.S_ISREG(st.st_mode):
            # symlinks (which could point anywhere, even at secret.key), pipes and devices stay where they are
            if stat.S_ISLNK(st.st_mode) and os.path.isdir(path):   # an event may name a linked folder first
                self._refuse(path, LINKED_FOLDER)
                return
            what = ("是符号链接" if stat.S_ISLNK(st.st_mode) else "是命名管道（FIFO）" if stat.S_ISFIFO(st.st_mode)
                    else "是设备或特殊文件")
            self._refuse(path, f"{what}，不是普通文件，不接收（请移走）")
            return
        if seen is None or (st.st_size, st.st_mtime, st.st_ino) != (seen.size, seen.mtime, seen.ino):
            if seen is not None:
                self.retries.pop(path, None)  # still growing: a writer at work, not a broken file
            self.seen[path] = Seen(st.st_size, st.st_mtime, 0.0, seen.not_before if seen else 0.0,
                                   st.st_dev, st.st_ino)
            self._fresh.append(path)

    def _stamp(self) -> None:
        """Windows of the files just noted start now, after the last of them was looked at: never before a file's
        own look (so never short), and all together (a folder of files dropped at once is taken as one round)."""
        t = time.monotonic()
        for path in self._fresh:
            if path in self.seen:
                self.seen[path].since = t
        self._fresh.clear()

    def _ready(self) -> list[Path]:
        """Files whose size and mtime held still for the window (and are not waiting to be retried).

        Events restart a file's window as they come (`_note`); here a file is looked at again only once
        its window has passed, to confirm nothing changed unseen (a share, a lost event)."""
        ready: list[Path] = []
        t = time.monotonic()
        window = self.settings.stable_seconds
        self._next_due = t + 3600.0
        for path, seen in list(self.seen.items()):
            if t - seen.since < window or t < seen.not_before:
                self._next_due = min(self._next_due, max(seen.since + window, seen.not_before))
                continue
            try:
                st = os.stat(path)
            except OSError:
                del self.seen[path]
                continue
            if (st.st_size, st.st_mtime) != (seen.size, seen.mtime):
                self.seen[path] = Seen(st.st_size, st.st_mtime, t, seen.not_before, st.st_dev, st.st_ino)
                self.retries.pop(path, None)
                self._next_due = min(self._next_due, t + window)
                continue
            ready.append(path)
            if len(ready) >= self.settings.batch:
                break
        return ready

    # ---- claim, file, release ----

    def _take(self, paths: list[Path], readers: Readers) -> None:
        busy = open_elsewhere()
        wanted: list[tuple[Path, int, float]] = []
        for path in paths:
            seen = self.seen.pop(path)
            if (seen.dev, seen.ino) in busy:  # a writer still holds it open (Word, a copy, Samba for a PC)
                self.seen[path] = Seen(seen.size, seen.mtime, time.monotonic(), 0.0, seen.dev, seen.ino)
                continue
            wanted.append((path, seen.size, seen.mtime))
        try:
            batch = claims.claim_round(self.intake, wanted)
        except OSError as exc:  # the processing folder refused (disk full, permissions): try again later
            for path, _, _ in wanted:
                self._note(path)
            self._stamp()
            if disk_full(exc):
                raise   # the service pauses
            said = f"无法领取收件夹中的文件（{exc.filename or self.intake}：{os_reason(exc)}），文件留在原处，" \
                   "恢复后自动接收"
            if said != self.claim_trouble[0] or time.monotonic() - self.claim_trouble[1] > CLAIM_TROUBLE_EVERY:
                log.warning("%s", said)   # once, then every few minutes while it lasts: not every round
                self.claim_trouble = (said, time.monotonic())
            return
        if self.claim_trouble[0]:
            log.info("收件夹恢复可用，继续接收")
            self.claim_trouble = ("", 0.0)
        assert self._releaser is not None
        self._releaser.opened(batch)
        for c in batch:
            source = claims.printable(str(c.origin))
            self.claimed[source] = c
            self._mtimes[source] = c.mtime
        self._file(batch, readers)

    def _finish_claims(self, readers: Readers) -> None:
        """Claims a killed service left behind are filed (or found already filed) first."""
        left = claims.pending(self.intake)
        assert self._releaser is not None
        self._releaser.opened(left)
        for c in left:
            self.claimed[claims.printable(str(c.origin))] = c
        if left:
            log.info("继续处理上次中断时已领取的 %d 个文件", len(left))
            self._file(left, readers)

    def _file(self, batch: list[claims.Claim], readers: Readers) -> None:
        if not batch:
            return
        items = [stages.Item(path=c.file, root=self.intake, source=claims.printable(str(c.origin)),
                             in_intake=True, origin=Path(claims.printable(str(c.origin))), claim_id=c.id)
                 for c in batch]
        file_items(self.ctx, items, self._until_stopped(readers.stream(items)), on_outcome=self._done,
                   defer=self._defer)
        if self.stopping and self.claimed:
            log.info("停止：手上的文件已归档，其余 %d 个已领取的文件下次启动时继续处理", len(self.claimed))
        self._write_state(force=True)

    def _until_stopped(self, results: Generator[Any, None, None]) -> Iterator[Any]:
        """Results until a stop signal: the file in hand is filed; the rest stay claimed for the next start."""
        try:
            for result in results:
                yield result
                if self.stopping:
                    return
        finally:
            results.close()

    def _defer(self, item: stages.Item, rejection: Rejection) -> bool:
        """A read failure on a file modified moments ago: give it back and try again once it holds still."""
        codes = {p.code for p in rejection.problems}
        source = item.source
        c = self.claimed.get(source)
        if c is None or not codes & RETRY_CODES or self.retries[c.origin] >= MAX_RETRIES:
            return False
        mtime = self._mtimes.get(source, 0.0)
        if time.time() - mtime > 3 * self.settings.stable_seconds + 5:
            return False
        if not claims.give_back(c):
            return False
        del self.claimed[source]
        assert self._releaser is not None
        self._releaser.forget(c)
        self.retries[c.origin] += 1
        log.info("文件可能仍在写入，稍后重试：%s", source)
        try:
            st = os.stat(c.origin)
        except OSError:
            return True
        self.seen[c.origin] = Seen(st.st_size, st.st_mtime, time.monotonic(),
                                   time.monotonic() + self.settings.stable_seconds, st.st_dev, st.st_ino)
        return True

    def _done(self, out: Outcome) -> None:
        """The outcome is durable: release the claimed file (on the releaser's thread), then count and log it."""
        c = self.claimed.pop(out.source, None)
        assert self._releaser is not None
        if c is not None and claims.changed_since_claim(c) and claims.give_back(c):
            # Written to after we took it: what was filed is what we read; the grown file comes again.
            self._releaser.forget(c)
            log.warning("文件在接收后仍被写入，已放回收件夹重新接收：%s", out.source)
            out.warnings.append({"field": None, "code": "changed_after_claim",
                                 "message": "文件在接收后仍被写入，已放回收件夹重新接收；如先前归档的内容不完整，请作废旧记录"})
        elif c is not None:
            self._releaser.release(c, keep=bool(out.detail.get("not_copied")))
            self.retries.pop(c.origin, None)
            self._mtimes.pop(out.source, None)
        day = now().strftime("%Y-%m-%d")
        if day != self.today:
            self.today, self.counts = day, Counter()
        self.counts[out.status] += 1
        self._write_state()  # at most once a second: `status` follows a long batch as it goes
        self.last.appendleft({"at": stamp(), "source": mask_name(out.source), "status": out.status,
                              "household": out.household, "archive_no": out.archive_no,
                              "error": out.errors[0]["message"] if out.errors and out.status == QUARANTINED else None})

    # ---- state for `hudang status` ----

    def _load_counts(self) -> None:
        """Today's counts survive a restart."""
        try:
            state = json.loads((self.home.run_dir / STATE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return
        if state.get("today", {}).get("date") == self.today:
            self.counts.update(state["today"].get("counts", {}))
            self.last.extend(state.get("last", [])[:20])

    def _write_state(self, *, force: bool = False, running: bool = True) -> None:
        t = time.monotonic()
        if not force and t - self._state_written < 1.0:
            return
        self._state_written = t
        state = {"running": running, "pid": os.getpid(), "since": self.since, "updated": stamp(),
                 "intake": str(self.intake), "polling": self.polling, "queue": len(self.seen),
                 "processing": len(self.claimed), "today": {"date": self.today, "counts": dict(self.counts)},
                 "paused": self.paused, "last": list(self.last)}
        path = self.home.run_dir / STATE
        data = json.dumps(state, ensure_ascii=False, indent=2).encode("utf-8")
        try:
            atomic_write(path, _padded(data))
        except OSError as exc:
            if not disk_full(exc):
                raise
            for tmp in path.parent.glob(f".{STATE}.*.tmp"):
                tmp.unlink(missing_ok=True)
            _overwrite(path, state)


def _disk_full(exc: BaseException) -> bool:
    """The disk under the data home is full, said by the OS, SQLite, or a filing that stopped for it."""
    return disk_full(exc) or getattr(exc, "code", None) == "disk_full"


STATE_BLOCK = 4096


def _padded(data: bytes) -> bytes:
    """The state file is kept a whole number of blocks long (JSON allows trailing blanks), so it can be
    overwritten in place when the disk has no block left for a new one."""
    return data + b" " * (-(len(data) + 1) % STATE_BLOCK) + b"\n"


def _overwrite(path: Path, state: dict[str, Any]) -> None:
    """The disk is full: write the state over the old file's own blocks (the oldest results dropped to fit)."""
    try:
        fd = os.open(path, os.O_WRONLY)
    except OSError:
        return
    try:
        size = os.fstat(fd).st_size
        while True:
            data = json.dumps(state, ensure_ascii=False, indent=2).encode("utf-8")
            if len(data) < size or not state["last"]:
                break
            state["last"] = state["last"][:-1]
        if len(data) < size:
            os.pwrite(fd, data + b" " * (size - len(data) - 1) + b"\n", 0)
    except OSError:
        pass   # `hudang status` shows the state of a moment ago
    finally:
        os.close(fd)
