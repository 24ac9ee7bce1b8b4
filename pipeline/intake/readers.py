"""The reader side of intake: the reader stages run in worker processes, results come back in filing order.

`read_one` chains admit → snapshot → read → classify (pipeline/intake/stages.py) for one item; a rejection
comes back as a value, for the writer to turn into an outcome. `Readers` keeps the worker pool and decides the
order the writer sees: import tables first (forms are checked against rosters), then everything as found.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Generator, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import TypeAlias

from hudang.errors import Rejection
from hudang.forms.table_kinds import ROSTER
from hudang.pipeline.intake import stages
from hudang.pipeline.intake.stages import Context, Item

log = logging.getLogger("hudang.intake")
PARALLEL_MIN = 24   # below this many files, worker start-up costs more than it saves

Read: TypeAlias = Item | tuple[Item, Rejection]  # what a reader hands the writer: the item, or the item and its rejection


def read_one(item: Item, ctx: Context | None = None) -> Read:
    """admit → snapshot → read → classify, in a worker; a rejection comes back as a value."""
    ctx = ctx or _WORKER_CONTEXT
    assert ctx is not None
    try:
        stages.admit(item, ctx.limits)
        stages.snapshot(item, ctx.snapshots)
        stages.read(item, ctx.vocab, ctx.limits)
        return stages.classify(item, ctx.forms, ctx.tables, ctx.home.intake, ctx.limits)
    except Rejection as rej:
        return item, rej
    except Exception as exc:  # a reader bug must not stop the batch: the file is quarantined
        log.exception("reading %s failed", item.source)
        return item, stages.reject("internal", f"读取时出现内部错误（{type(exc).__name__}），文件已隔离待查")


_WORKER_CONTEXT: Context | None = None


def _init_worker(ctx: Context, parent: int) -> None:
    """Each worker receives the context once, not with every file. Stop signals are the parent's
    to handle (it finishes the batch in hand), and a worker outlives its parent by at most a second."""
    global _WORKER_CONTEXT
    _WORKER_CONTEXT = ctx
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):  # never keep the caller's pipes open (`hudang ingest --json | jq` must see EOF)
        os.dup2(devnull, fd)
    threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True).start()


def _exit_with_parent(parent: int) -> None:
    while True:
        time.sleep(0.5)
        try:
            os.kill(parent, 0)
        except ProcessLookupError:
            os._exit(0)


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

    def _get_pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            # forkserver, not fork: a forked worker would inherit the writer and service lock files,
            # and if this process were killed, orphaned workers would keep the data home locked.
            method = os.environ.get("HUDANG_MP_START", "forkserver")
            self._pool = ProcessPoolExecutor(max_workers=self.workers, initializer=_init_worker,
                                             initargs=(self.ctx, os.getpid()),
                                             mp_context=multiprocessing.get_context(method))
        return self._pool

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
        if self.workers <= 1 or len(items) < self.parallel_min:
            for item in items:
                yield read_one(item, self.ctx)
            return
        pool = self._get_pool()
        ahead: deque[Future[Read]] = deque()
        feed = iter(items)
        for item in feed:
            ahead.append(pool.submit(read_one, item))
            if len(ahead) >= self.WINDOW:
                break
        while ahead:
            result = ahead.popleft().result()
            nxt = next(feed, None)
            if nxt is not None:
                ahead.append(pool.submit(read_one, nxt))
            yield result

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
