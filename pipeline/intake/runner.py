"""`ingest()`: one run of intake over files and folders given — discover, read (readers.py), file (writer.py).

The intake service (pipeline/service/watch.py) drives the same readers and writer over claimed files.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path

from hudang.pipeline.intake import readers, stages
from hudang.pipeline.intake.outcomes import Outcome
from hudang.pipeline.intake.stages import Context
from hudang.pipeline.intake.writer import file_items
from hudang.settings import Home


def _sweep_snapshots(folder: Path, max_age_s: float = 86400) -> None:
    """Drop private copies a killed run left behind (never intake files: those stay where they are)."""
    if not folder.is_dir():
        return
    cutoff = time.time() - max_age_s
    for entry in folder.iterdir():
        try:
            if entry.stat().st_mtime < cutoff:
                shutil.rmtree(entry, ignore_errors=True) if entry.is_dir() else entry.unlink()
        except OSError:
            continue


def ingest(home: Home, paths: list[Path], *, workers: int | None = None,
           on_outcome: Callable[[Outcome], None] | None = None, retry_of: str | None = None,
           folder_form: str | None = None) -> list[Outcome]:
    """Take in files and folders once; every file gets exactly one outcome."""
    ctx = Context.load(home)
    _sweep_snapshots(ctx.snapshots)
    items = list(stages.discover(paths))
    for item in items:
        item.forced_form = folder_form
    return file_items(ctx, items, readers.read_stream(items, ctx, workers or os.cpu_count() or 1),
                      on_outcome=on_outcome, retry_of=retry_of)
