"""`ingest()`: one run of intake over files and folders given — discover, read (readers.py), file (writer.py).

The intake service (pipeline/service/watch.py) drives the same readers and writer over claimed files.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from hudang.pipeline.intake import leftovers, quarantine, stages
from hudang.pipeline.intake.outcomes import Outcome
from hudang.pipeline.intake.readers import Readers, read_stream
from hudang.pipeline.intake.stages import Context, TableOptions
from hudang.pipeline.intake.writer import file_items
from hudang.settings import Home


def sweep_leftovers(home: Home) -> None:
    """At every start (`hudang ingest`, `hudang watch`): private copies and half-made quarantine entries of
    runs that are gone are removed at once; a live run's (the service beside a hand run) are kept."""
    leftovers.sweep(home.run_dir / "snapshots")
    leftovers.sweep(home.quarantine, prefix=quarantine.TEMP_PREFIX)


def ingest(home: Home, paths: list[Path], *, workers: int | None = None,
           on_outcome: Callable[[Outcome], None] | None = None, retry_of: str | None = None,
           folder_form: str | None = None, options: TableOptions | None = None,
           dry_run: bool = False, document: dict[str, str] | None = None, tables: bool = True,
           readers: Readers | None = None, index_later: bool = False, ocr_later: bool = False) -> list[Outcome]:
    """Take in files and folders once; every file gets exactly one outcome (``dry_run``: what it would be;
    ``document``: each is a 文件). ``readers``: reader processes kept open by the caller across runs (the
    web's uploads), with the context they were started on; without it this run starts and stops its own.
    ``index_later``: the filed records wait in the index backlog for the next writer's commit (see
    `file_items`). ``ocr_later``: scans (not 文件) are parked unread in the OCR queue (``ocr_pending``, 排队识别)
    for `scans.queue.process_queue` to read afterwards, so the run takes seconds whatever the pages."""
    ctx = readers.ctx if readers is not None else Context.load(home)
    sweep_leftovers(home)
    items = list(stages.discover(paths, document))
    for item in items:
        item.forced_form = folder_form
        item.options = options
        item.ocr_later = ocr_later
    try:
        stream = (readers.stream(items) if readers is not None
                  else read_stream(items, ctx, workers or os.cpu_count() or 1))
        if dry_run:
            from hudang.pipeline.intake.preview import preview_items

            outcomes = preview_items(ctx, stream)
            for out in outcomes:
                if on_outcome:
                    on_outcome(out)
            return outcomes
        return file_items(ctx, items, stream, on_outcome=on_outcome, retry_of=retry_of, tables=tables,
                          index_later=index_later)
    finally:
        leftovers.drop_own(ctx.snapshots.parent)
