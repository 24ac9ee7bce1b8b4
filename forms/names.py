"""Names nobody declared: a header or label that matches no field, and the known name it is probably a
misspelling of (`“应计金额” 是否即 “应收金额”？`). Shared by form intake and the import tables."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping

from hudang.errors import Problem
from hudang.forms.values import normalize_label

CLOSE = 0.7   # 应计金额 ~ 应收金额 (0.75) is close; 派工单号 ~ 单号 (0.67), 处理时限 ~ 处理结果 (0.5) are not


def close_match(name: str, known: Mapping[str, str]) -> str | None:
    """The known name ``name`` is probably meant to be, or None; ``known`` maps each normalised spelling
    (name or alias) to the name to suggest."""
    key = normalize_label(name)
    if not key or key in known:
        return None
    found = difflib.get_close_matches(key, list(known), n=1, cutoff=CLOSE)
    return known[found[0]] if found else None


def suggestion(name: str, known: Mapping[str, str]) -> str | None:
    """`“应计金额” 是否即 “应收金额”？` for a close name, else None."""
    match = close_match(name, known)
    return f"“{name}” 是否即 “{match}”？" if match else None


def extra_fields_warning(names: Iterable[str], known: Mapping[str, str], form_name: str) -> Problem | None:
    """One warning for the fields a document has that its form's definition lacks: they are kept as extra
    fields (stored, shown, searchable); a close one is named with the field it probably is."""
    names = list(dict.fromkeys(n for n in names if n and normalize_label(n) not in known))   # an alias: said apart
    if not names:
        return None
    hints = [s for s in (suggestion(n, known) for n in names) if s]
    message = (f"“{form_name}”的定义中没有这些栏目，已作为附加栏目保存（可查看、可检索）：{'、'.join(names)}"
               + (f"。{' '.join(hints)}" if hints else ""))
    return Problem(None, "extra_fields", message)
