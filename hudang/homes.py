"""Where the data home is — ``--home``, else ``$HUDANG_HOME``, else ``~/hudang`` — in a module light enough for
the command's first instant (`hudang search` asks the running service before it imports anything heavy)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path


def root_text(option: str | None) -> str:
    """The home's absolute path as text (no pathlib: the quick search's client calls it)."""
    chosen = option or os.environ.get("HUDANG_HOME") or "~/hudang"
    expanded = os.path.expanduser(chosen)
    return os.path.realpath(expanded) if option or os.environ.get("HUDANG_HOME") else expanded


def resolve_root(option: str | None) -> Path:
    from pathlib import Path

    return Path(root_text(option))
