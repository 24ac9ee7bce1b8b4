"""Regular expressions compiled on first use.

A module-level `re.compile` is paid by every process that imports the module, used or not: forms/values.py
holds a score of patterns for dates, money, phones and IDs, and a `hudang search` imports it for one of them
(about 3 ms of a search's start-up). `lazy` stands for a compiled pattern and compiles it the first time any
of its methods or attributes is asked for. Patterns a search runs stay plain `re.compile`.
"""

from __future__ import annotations

import re
from typing import Any, cast


class _Lazy:
    __slots__ = ("_compiled", "_flags", "_pattern")

    def __init__(self, pattern: str, flags: int) -> None:
        self._pattern, self._flags = pattern, flags
        self._compiled: re.Pattern[str] | None = None

    def __getattr__(self, name: str) -> Any:
        if self._compiled is None:
            self._compiled = re.compile(self._pattern, self._flags)
        return getattr(self._compiled, name)

    def __repr__(self) -> str:
        return f"lazy({self._pattern!r})"


def lazy(pattern: str, flags: int | re.RegexFlag = 0) -> re.Pattern[str]:
    """`re.compile(pattern, flags)`, done when the pattern is first used."""
    return cast("re.Pattern[str]", _Lazy(pattern, int(flags)))
