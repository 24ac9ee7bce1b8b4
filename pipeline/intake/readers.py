"""The reader side of intake: the reader stages run in worker processes, results come back in filing order.

`read_one` chains admit → snapshot → read → classify (pipeline/intake/stages.py) for one item; a rejection
comes back as a value, for the writer to turn into an outcome. `Readers` keeps the worker pool and decides the
order the writer sees: import tables first (forms are checked against rosters), then everything as found.

One file's failure stays that file's: every read runs in a process other than the writer's — a worker of the
pool for many files (and always in the service, whose pool is started with it), one forked child per run for a
few. Each read has a time budget ([limits] seconds_per_file, plus seconds_per_ocr_page per page of a scan) — an
alarm ends a reader past it, and a process that does not stop is killed. When a reader process dies (OOM, a
crash in a C library), every file it had in flight is read again alone in a fresh process; a file that kills
that one too is quarantined as 读取失败, naming the signal and stage.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import shutil
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Generator, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.connection import Connection
from typing import Any, TypeAlias

from hudang.crashpoints import reader_hook
from hudang.errors import Rejection
from hudang.forms.table_kinds import ROSTER
from hudang.pipeline.intake import stages
from hudang.pipeline.intake.stages import Context, Item

log = logging.getLogger("hudang.intake")
PARALLEL_MIN = 24   # below this many files, a pool's start-up costs more than it saves: one forked child reads them
SMALL_METHOD = "fork"   # for that child: milliseconds, the readers' imports shared (held locks are closed in it)

Read: TypeAlias = Item | tuple[Item, Rejection]  # what a reader hands the writer: the item, or the item and its rejection


STAGES = {"admit": "检查文件", "snapshot": "复制文件", "read": "读取内容", "classify": "识别表单类型",
          "recognise": "识别扫描件（OCR）"}
Progress: TypeAlias = Callable[[str, Item, float], None]   # (stage, item, seconds added to its budget)


class ReadTimeout(BaseException):
    """Raised in a reader by its alarm; a BaseException, so no reader's ``except Exception`` swallows it."""


class Budget:
    """The time one file may take. In the main thread an alarm raises `ReadTimeout`; in a worker a watchdog
    thread kills the whole process a grace period later, should the reader be stuck where no alarm reaches."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.started = 0.0
        self.hard_deadline: float | None = None   # read by the watchdog thread
        self._previous: Any = None
        self._armed = False

    def start(self, seconds: float) -> None:
        self.seconds, self.started = seconds, time.monotonic()
        self._armed = threading.current_thread() is threading.main_thread()
        if self._armed:
            self._previous = signal.signal(signal.SIGALRM, _on_alarm)
        self._arm()

    def extend(self, seconds: float) -> None:
        self.seconds += seconds
        self._arm()

    def _arm(self) -> None:
        left = max(0.01, self.started + self.seconds - time.monotonic())
        if self._armed:
            signal.setitimer(signal.ITIMER_REAL, left)
        self.hard_deadline = self.started + self.seconds + grace(self.seconds)

    def stop(self) -> None:
        self.hard_deadline = None
        if self._armed:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self._previous if self._previous is not None else signal.SIG_DFL)
            self._armed = False


def _on_alarm(signum: int, frame: object) -> None:
    raise ReadTimeout


def grace(seconds: float) -> float:
    """How long past its budget a reader may take to give up by itself before its process is killed."""
    return min(60.0, max(2.0, seconds * 0.1))


_BUDGET = Budget()
_IN_WORKER = False   # test hooks fire only in reader processes, never in the command itself


def _scan_pages(item: Item) -> int:
    """Pages of a scan, to extend its time budget (counted cheaply; 1 when they cannot be counted)."""
    assert item.snapshot is not None and item.extraction is not None
    try:
        if item.extraction.detected_type == "pdf":
            from pypdf import PdfReader

            return max(1, len(PdfReader(item.snapshot).pages))
        from PIL import Image

        with Image.open(item.snapshot) as image:
            return max(1, int(getattr(image, "n_frames", 1)))
    except Exception:  # the reader proper reports what is wrong with the file
        return 1


def timed_out(seconds: float, stage: str) -> Rejection:
    return stages.reject("read_timeout", f"读取超时：超过 {seconds:g} 秒仍未读完（停在“{STAGES.get(stage, stage)}”阶段），"
                                         "读取已终止，文件已隔离待查（时限见 config.toml 的 [limits] "
                                         "seconds_per_file 与 seconds_per_ocr_page）")


def died(exitcode: int | None, stage: str) -> Rejection:
    if exitcode is not None and exitcode < 0:
        try:
            how = f"被信号 {signal.Signals(-exitcode).name} 终止"
        except ValueError:
            how = f"被信号 {-exitcode} 终止"
    else:
        how = f"异常退出（退出码 {exitcode}）"
    return stages.reject("read_failed", f"读取失败：读取进程在“{STAGES.get(stage, stage)}”阶段{how}，单独重试一次仍然如此，"
                                        "文件已隔离待查（常见原因：文件使内存耗尽，或读取程序崩溃）")


def read_one(item: Item, ctx: Context | None = None, progress: Progress | None = None) -> Read:
    """admit → snapshot → read → classify, in a worker, within the file's time budget; a rejection comes
    back as a value."""
    ctx = ctx or _WORKER_CONTEXT
    assert ctx is not None
    limits = ctx.home.limits
    stage = "admit"

    def enter(name: str, extra: float = 0.0) -> None:
        nonlocal stage
        stage = name
        if progress is not None:
            progress(name, item, extra)

    _BUDGET.start(limits.seconds_per_file)
    try:
        enter("admit")
        stages.admit(item, ctx.limits)
        enter("snapshot")
        stages.snapshot(item, ctx.snapshots)
        enter("read")
        if _IN_WORKER:
            reader_hook(item.path.name)
        stages.read(item, ctx.vocab, ctx.limits, ctx.profiles)
        assert item.extraction is not None
        if item.extraction.kind == "scan":
            extra = _scan_pages(item) * limits.seconds_per_ocr_page
            _BUDGET.extend(extra)
            enter("recognise", extra)
        else:
            enter("classify")
        return stages.classify(item, ctx.forms, ctx.tables, ctx.home.intake, ctx.limits, ctx.profiles)
    except Rejection as rej:
        return item, rej
    except ReadTimeout:
        log.warning("reading %s took longer than %g s", item.source, _BUDGET.seconds)
        return item, timed_out(_BUDGET.seconds, stage)
    except Exception as exc:  # a reader bug must not stop the batch: the file is quarantined
        log.exception("reading %s failed", item.source)
        return item, stages.reject("internal", f"读取时出现内部错误（{type(exc).__name__}），文件已隔离待查")
    finally:
        _BUDGET.stop()


def read_alone(item: Item, ctx: Context, method: str) -> Read:
    """Read one file in a process of its own, killed past its budget; its death is this file's outcome."""
    shutil.rmtree(ctx.snapshots / item.key, ignore_errors=True)   # the dead worker's copy, if it made one
    results = _Child([item], ctx, method)
    for result in results:
        return result
    assert results.stop is not None
    fate, stage, budget, exitcode = results.stop
    if fate == "timeout":
        return item, timed_out(budget, stage)
    log.warning("reading %s alone: the process died (exit %s) in stage %s", item.source, exitcode, stage)
    return item, died(exitcode, stage)


def read_isolated(items: list[Item], ctx: Context, method: str) -> Generator[Read, None, None]:
    """Read a few files in order in one child process (a fork costs milliseconds; a pool's start far more).
    A file past its budget is killed with the child and reported as timed out; when the child dies, the file
    it was reading is read again alone, like a pool worker's, and the files after it go to a fresh child."""
    pending = list(items)
    while pending:
        child = _Child(pending, ctx, method)
        done = 0
        for result in child:
            done += 1
            yield result
        if child.stop is None:
            return
        fate, stage, budget, exitcode = child.stop
        item, pending = pending[done], pending[done + 1:]
        if fate == "timeout":
            log.warning("reading %s: killed after %g s", item.source, budget)
            yield item, timed_out(budget, stage)
        else:
            log.warning("a reader process died (exit %s) reading %s; it is read again alone", exitcode, item.source)
            yield read_alone(item, ctx, method)


class _Child:
    """One reader process for `items`, read in order: iterate for their results. The parent keeps each
    file's time budget (from the child's own clock readings, so a slow consumer is not counted); `stop`
    says, when iteration ends early, how: ("timeout" | "died", stage, budget, exit code)."""

    def __init__(self, items: list[Item], ctx: Context, method: str) -> None:
        self.items, self.ctx, self.method = items, ctx, method
        self.stop: tuple[str, str, float, int | None] | None = None

    def __iter__(self) -> Generator[Read, None, None]:
        mp = multiprocessing.get_context(self.method)
        receive, send = mp.Pipe(duplex=False)
        proc = mp.Process(target=_read_many, args=(self.items, self.ctx, send, os.getpid()),  # type: ignore[attr-defined]
                          daemon=True)
        proc.start()
        send.close()
        limit = self.ctx.home.limits.seconds_per_file
        n, stage, budget, started = 0, "admit", limit, time.monotonic()
        try:
            while n < len(self.items):
                left = started + budget + grace(budget) - time.monotonic()
                if receive.poll(max(0.0, min(left, 1.0))):   # what the child said comes before any verdict
                    try:
                        message = receive.recv()
                    except EOFError:
                        break
                    if message[0] == "done":
                        n, stage, budget, started = n + 1, "admit", limit, message[2]
                        yield message[1]
                        continue
                    _, stage, extra, known, at = message
                    if stage == "admit":
                        started = at
                    budget += extra
                    for name, value in known.items():  # the private copy is the writer's to quarantine and drop
                        setattr(self.items[n], name, value)
                elif left <= 0:
                    proc.kill()
                    proc.join()
                    self.stop = ("timeout", stage, budget, proc.exitcode)
                    return
                elif not proc.is_alive():
                    break
            else:
                proc.join(10)
                return
        finally:
            receive.close()
            if proc.is_alive():   # iteration given up, or a child that will not end
                proc.kill()
                proc.join()
        proc.join()
        self.stop = ("died", stage, budget, proc.exitcode)


def _read_many(items: list[Item], ctx: Context, send: Connection, parent: int) -> None:
    _init_worker(ctx, parent)

    def progress(stage: str, it: Item, extra: float) -> None:
        known = {"snapshot": it.snapshot, "sha256": it.sha256, "size": it.size, "received_at": it.received_at}
        send.send(("stage", stage, extra, known, time.monotonic()))

    for item in items:
        result = read_one(item, ctx, progress)
        send.send(("done", result, time.monotonic()))


_WORKER_CONTEXT: Context | None = None


def _init_worker(ctx: Context, parent: int) -> None:
    """Each worker receives the context once, not with every file. Stop signals are the parent's
    to handle (it finishes the batch in hand), and a worker outlives its parent by at most a second."""
    global _WORKER_CONTEXT, _IN_WORKER
    _WORKER_CONTEXT, _IN_WORKER = ctx, True
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):  # never keep the caller's pipes open (`hudang ingest --json | jq` must see EOF)
        os.dup2(devnull, fd)
    threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True).start()


def _exit_with_parent(parent: int) -> None:
    """Also the watchdog: a reader stuck past its budget and grace (where no alarm reaches) dies with
    its process; the parent reads the file again alone and reports it."""
    while True:
        time.sleep(0.5)
        try:
            os.kill(parent, 0)
        except ProcessLookupError:
            os._exit(0)
        deadline = _BUDGET.hard_deadline
        if deadline is not None and time.monotonic() > deadline:
            os.kill(os.getpid(), signal.SIGKILL)


def _warm() -> None:
    """A first task for a new worker: it has loaded the readers by the time it returns."""
    time.sleep(0.01)


def _is_table_name(item: Item) -> bool:
    return item.path.suffix.lower() in (".csv", ".tsv", ".txt", ".xlsx", ".xlsm", ".xls", ".et")


def item_of(result: Read) -> Item:
    return result[0] if isinstance(result, tuple) else result


def _order(result: Read) -> int:
    """Rosters first (forms need them), then ledgers and reminder logs, then forms."""
    item = item_of(result)
    if item.table is not None and item.table.id == ROSTER:
        return 0
    if item.table is not None:
        return 1
    return 2


class Readers:
    """Reader processes for a session; the intake service keeps one pool across its batches."""

    WINDOW = 64  # files read ahead of the writer: memory stays bounded whatever the burst

    def __init__(self, ctx: Context, workers: int | None = None, *, parallel_min: int = PARALLEL_MIN) -> None:
        self.ctx = ctx
        self.workers = workers or os.cpu_count() or 1
        self.parallel_min = parallel_min
        self._pool: ProcessPoolExecutor | None = None
        # forkserver, not fork: a forked worker would inherit the writer and service lock files,
        # and if this process were killed, orphaned workers would keep the data home locked.
        self.method = os.environ.get("HUDANG_MP_START", "forkserver")

    def _get_pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(max_workers=self.workers, initializer=_init_worker,
                                             initargs=(self.ctx, os.getpid()),
                                             mp_context=multiprocessing.get_context(self.method))
        return self._pool

    def _drop_pool(self) -> None:
        """A broken pool is let go (its surviving workers are stopped by the executor); the next file
        starts a fresh one."""
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    def _submit(self, item: Item) -> Future[Read]:
        try:
            return self._get_pool().submit(read_one, item)
        except BrokenProcessPool:
            self._drop_pool()
            return self._get_pool().submit(read_one, item)

    def start(self) -> None:
        """Start every worker now (a long-lived service), rather than with the first files."""
        if self.workers > 1:
            pool = self._get_pool()
            for _ in range(self.workers):  # each submit finds no idle worker and starts one
                pool.submit(_warm)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def __enter__(self) -> Readers:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _read(self, items: list[Item]) -> Generator[Read, None, None]:
        """Results in input order, reading at most WINDOW files ahead."""
        if self._pool is None and (self.workers <= 1 or len(items) < self.parallel_min):
            yield from read_isolated(items, self.ctx, SMALL_METHOD)
            return
        ahead: deque[tuple[Item, Future[Read]]] = deque()
        feed = iter(items)

        def fill() -> None:
            while len(ahead) < self.WINDOW:
                item = next(feed, None)
                if item is None:
                    return
                ahead.append((item, self._submit(item)))

        fill()
        while ahead:
            try:
                result = ahead[0][1].result()
            except BrokenProcessPool:
                yield from self._after_break(ahead)
                fill()
                continue
            ahead.popleft()
            fill()
            yield result

    def _after_break(self, ahead: deque[tuple[Item, Future[Read]]]) -> Generator[Read, None, None]:
        """A worker died: results already in are kept; every other file in flight is read again alone."""
        lost = list(ahead)
        ahead.clear()
        self._drop_pool()
        log.warning("a reader process died; %d files in flight are read again, one at a time", len(lost))
        for item, future in lost:
            if future.done() and not future.cancelled() and future.exception() is None:
                yield future.result()
            else:
                yield read_alone(item, self.ctx, self.method)

    def stream(self, items: list[Item]) -> Generator[Read, None, None]:
        """Results in the order filing needs them, each as soon as it is ready.

        Files that may be tables are read first; rosters, fee ledgers and reminder logs among them are
        handed over before anything else (forms are checked against rosters). Every other file, form
        batches included, follows in the order it was found, so versions keep their order.
        """
        table_at = [n for n, item in enumerate(items) if _is_table_name(item)]
        early = dict(zip(table_at, self._read([items[n] for n in table_at]), strict=True))
        imports = {n: r for n, r in early.items() if not isinstance(r, tuple) and r.table is not None}
        yield from sorted(imports.values(), key=_order)
        rest = self._read([item for n, item in enumerate(items) if n not in early])
        for n in range(len(items)):
            if n in early:
                if n not in imports:
                    yield early[n]
            else:
                yield next(rest)


def read_stream(items: list[Item], ctx: Context, workers: int) -> Iterator[Read]:
    """One-off reading (``hudang ingest``)."""
    with Readers(ctx, workers) as readers:
        yield from readers.stream(items)
