"""Locks between hudang processes of one data home: an flock on a file under ``run/``.

The holder writes its PID into the file, so the one who finds it busy can say who holds it. The kernel
drops an flock when its process dies, so a crash never leaves a stale lock behind.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from hudang.errors import LockBusy
from hudang.settings import Home

_HELD: set[int] = set()   # descriptors of the locks this process holds


def _close_held_in_child() -> None:
    """A forked child (a reader) gets copies of the parent's lock descriptors; closing them leaves the
    parent's locks as they are, and a child that outlives a killed parent holds nothing."""
    for fd in list(_HELD):
        try:
            os.close(fd)
        except OSError:
            pass
    _HELD.clear()


os.register_at_fork(after_in_child=_close_held_in_child)


class FileLock:
    """One lock file; `busy` is the Chinese message when another process holds it (``{pid}`` is filled in)."""

    def __init__(self, path: Path, busy: str, *, code: str = "locked") -> None:
        self.path = path
        self.busy = busy
        self.code = code
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self, *, wait: bool = False) -> FileLock:
        """Take the lock exclusively: wait for it, or raise `LockBusy` at once when another process holds it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            pid = os.pread(fd, 32, 0).decode(errors="ignore").strip()
            os.close(fd)
            raise LockBusy(self.busy.format(pid=pid or "未知"), code=self.code) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        self._fd = fd
        _HELD.add(fd)
        return self

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            _HELD.discard(fd)
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    @contextmanager
    def hold(self, *, wait: bool = False) -> Iterator[FileLock]:
        self.acquire(wait=wait)
        try:
            yield self
        finally:
            self.release()


def held_elsewhere(path: Path) -> bool:
    """Whether some process holds the lock now (a shared probe: it never takes the lock from anyone)."""
    if not path.exists():
        return False
    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


# ---- the data home's locks ----

def writer_lock(home: Home) -> FileLock:
    """One writer of the archive at a time (an ingest beside the watcher waits its turn)."""
    return FileLock(home.run_dir / "writer.lock", "另一个 hudang 进程（PID {pid}）正在写入档案，请稍后再试")


def watch_lock(home: Home) -> FileLock:
    """One intake service per data home, held for as long as it lives (`hudang status` probes it)."""
    return FileLock(home.run_dir / "watch.lock",
                    "接收服务已在运行（PID {pid}），同一数据目录只能运行一个 hudang watch", code="watch_running")


def letters_lock(home: Home) -> FileLock:
    """One letters run at a time, so two runs never hand out the same letter number."""
    return FileLock(home.run_dir / "letters.lock", "另一个催缴函任务正在运行，请等它结束后再试")


def ocr_queue_lock(home: Home) -> FileLock:
    """The web's processes read the OCR queue one at a time (the scans its uploads left there)."""
    return FileLock(home.run_dir / "ocr-queue.lock", "另一个进程（PID {pid}）正在识别排队的扫描件，请稍后再试")


def backup_lock(dest: Path) -> FileLock:
    """One backup run (create, prune, verify) at a time per destination, whatever data home it comes from."""
    where = str(dest).replace("{", "{{").replace("}", "}}")
    return FileLock(dest / ".hudang-backup.lock", f"另一个备份任务（PID {{pid}}）正在使用备份位置 {where}，请稍后再试",
                    code="backup_busy")
