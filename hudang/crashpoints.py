"""Named crash points for the crash-safety tests.

``HUDANG_CRASH_AT=name[:n]`` kills the process with SIGKILL the n-th time (default 1st) that
execution reaches ``crash_point(name)``. Unset in normal use, where it costs one dict lookup.
"""

from __future__ import annotations

import os
import signal

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
