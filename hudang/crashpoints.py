"""Named crash points for the crash-safety tests.

``HUDANG_CRASH_AT=name[:n]`` kills the process with SIGKILL the n-th time (default 1st) that
execution reaches ``crash_point(name)``. Unset in normal use, where it costs one dict lookup.
"""

from __future__ import annotations

import os
import signal
import time

_hits: dict[str, int] = {}


def crash_point(name: str) -> None:
    spec = os.environ.get("HUDANG_CRASH_AT")
    if not spec:
        return
    wanted, _, nth = spec.partition(":")
    if wanted != name:
        return
    _hits[name] = _hits.get(name, 0) + 1
    if _hits[name] >= int(nth or 1):
        os.kill(os.getpid(), signal.SIGKILL)


def reader_hook(name: str) -> None:
    """``HUDANG_READER_HOOK=crash:TEXT`` (or ``hang:TEXT``): a reader *worker* reading a file whose name
    contains TEXT kills itself with SIGKILL, as an OOM kill would (or hangs where no alarm reaches it,
    so only a kill stops it). For the isolation tests; the caller checks it runs in a worker."""
    spec = os.environ.get("HUDANG_READER_HOOK")
    if not spec:
        return
    what, _, text = spec.partition(":")
    if not text or text not in name:
        return
    if what == "crash":
        os.kill(os.getpid(), signal.SIGKILL)
    elif what == "hang":
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
        while True:
            time.sleep(3600)
