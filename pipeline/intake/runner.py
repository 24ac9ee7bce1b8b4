"""`ingest()`: one run of intake over files and folders given — discover, read (readers.py), file (writer.py).

The intake service (pipeline/service/watch.py) drives the same readers and writer over claimed files.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from hudang.pipeline.intake import leftovers, quarantine, readers, stages
from hudang.pipeline.intake.outcomes import Outcome
from hudang.pipeline.intake.stages import Context
from hudang.pipeline.intake.writer import file_items
from hudang.settings import Home


def sweep_leftovers(home: Home) -> None:
    """At every start (`hudang ingest`, `hudang watch`): private copies and half-made quarantine entries of
    runs that are gone are removed at once; a live run's (the service beside a hand run) are kept."""
    leftovers.sweep(home.run_dir / "snapshots")
    leftovers.sweep(home.quarantine, prefix=quarantine.TEMP_PREFIX)


def ingest(home: Home, paths: list[Path], *, workers: int | None = None,
           on_outcome: Callable[[Outcome], None] | None = None, retry_of: str | None = None,
           folder_form: str | None = None, document: dict[str, str] | None = None) -> list[Outcome]:
    """Take in files and folders once; every file gets exactly one outcome (``document``: each is a 文件)."""
    ctx = Context.load(home)
    sweep_leftovers(home)
    items = list(stages.discover(paths, document))
    for item in items:
        item.forced_form = folder_form
    try:
        return file_items(ctx, items, readers.read_stream(items, ctx, workers or os.cpu_count() or 1),
                          on_outcome=on_outcome, retry_of=retry_of)
    finally:
        leftovers.drop_own(ctx.snapshots.parent)
