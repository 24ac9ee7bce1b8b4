"""Where the data home is — ``--home``, else ``$HUDANG_HOME``, else ``~/hudang`` — in a module light enough for
the command's first instant (`hudang search` asks the running service before it imports anything heavy)."""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_HOME = Path("~/hudang").expanduser()


def resolve_root(option: str | None) -> Path:
    if option:
        return Path(option).expanduser().resolve()
    env = os.environ.get("HUDANG_HOME")
    if env:
        return Path(env).expanduser().resolve()
    return DEFAULT_HOME
