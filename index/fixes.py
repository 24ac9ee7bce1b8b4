"""Small, documented corrections to whoosh-reloaded 2.7.5, applied once when `hudang.index` is imported.

AndNotMatcher (``a NOT b``) only checked whether the excluded matcher stood *exactly* on the first
candidate; when it stood before it (its first document comes earlier), it was never skipped forward, so
the first candidate was returned even when it held the excluded words: ``漏水 -卫生间`` found a record
with 卫生间. The fix skips the excluded matcher to each candidate (advancing past equal ones), and
stops cleanly when the candidates run out.
"""

from __future__ import annotations

from typing import Any

from whoosh.matching import binary, mcore

_APPLIED = False


def _find_next(self: Any) -> bool:
    """Advance `a` past every id that `b` also holds (b skipped forward to a's id first)."""
    pos, neg = self.a, self.b
    moved = False
    while pos.is_active() and neg.is_active():
        pos_id = pos.id()
        if neg.id() < pos_id:
            neg.skip_to(pos_id)
            if not neg.is_active():
                break
        if neg.id() != pos_id:
            break
        moved = bool(pos.next()) or moved
    return moved


def _find_first(self: Any) -> None:
    _find_next(self)


def _skip_to(self: Any, id: int) -> bool:
    if not self.a.is_active():
        raise mcore.ReadTooFar
    if id <= self.a.id():
        return False
    moved = bool(self.a.skip_to(id))
    return _find_next(self) or moved


def _skip_to_quality(self: Any, minquality: float) -> int:
    skipped: int = self.a.skip_to_quality(minquality)
    _find_next(self)
    return skipped


def apply() -> None:
    global _APPLIED
    if _APPLIED:
        return
    cls = binary.AndNotMatcher
    cls._find_first = _find_first
    cls._find_next = _find_next
    cls.skip_to = _skip_to
    cls.skip_to_quality = _skip_to_quality
    _APPLIED = True
