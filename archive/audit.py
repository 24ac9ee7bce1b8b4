"""The audit log: who did what to which record, when — one JSON line per action, in the data home.

Every change, reveal and release of personal data is written here by the application layer (never
by a door: the CLI and the web pass the user in). Free text is masked; hashes are kept as they are.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hudang.clock import stamp
from hudang.forms.values import mask_text

UNMASKED_KEYS = frozenset({"sha256"})


def append(log: Path, user: str, action: str, **detail: Any) -> None:
    """Append one entry; several processes may write at once (each line is one O_APPEND write)."""
    masked = {k: mask_text(v) if isinstance(v, str) and k not in UNMASKED_KEYS else v for k, v in detail.items()}
    line = json.dumps({"at": stamp(), "user": user, "action": action, **masked}, ensure_ascii=False)
    with open(log, "a", encoding="utf-8") as fh:
        fh.write(line + "\n")


def entries(log: Path) -> list[dict[str, Any]]:
    """Every entry, oldest first (a line that is not JSON is skipped: `verify` reports damage)."""
    if not log.is_file():
        return []
    out = []
    for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:
            continue
    return out
