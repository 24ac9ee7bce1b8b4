"""`hudang.patterns.lazy`: a pattern compiled when first used answers exactly as `re.compile`'s."""

from __future__ import annotations

import re

from hudang.forms import values
from hudang.patterns import lazy


def test_a_lazy_pattern_compiles_on_first_use_and_answers_as_re_compile() -> None:
    source, text = r"(?P<y>\d{4})年(?P<m>\d{1,2})月", "2026年10月 与 2027年1月"
    pattern, plain = lazy(source, re.IGNORECASE), re.compile(source, re.IGNORECASE)
    assert pattern._compiled is None  # type: ignore[attr-defined]
    assert [m.groupdict() for m in pattern.finditer(text)] == [m.groupdict() for m in plain.finditer(text)]
    assert pattern._compiled is not None  # type: ignore[attr-defined]
    assert pattern.sub("X", text) == plain.sub("X", text) and pattern.flags == plain.flags
    assert pattern.fullmatch("2026年10月") is not None and pattern.match("x2026年10月") is None
    assert pattern.pattern == source and pattern.groupindex == plain.groupindex


def test_the_values_patterns_still_parse_and_mask() -> None:
    """The patterns made lazy in forms/values.py, each through the function that uses it."""
    assert str(values.parse_date("2026年11月3日")) == "2026-11-03"
    assert values.parse_datetime("2026/11/3 下午2:30")[0].hour == 14
    assert str(values.parse_money("￥1,144.58元")) == "1144.58"
    assert values.mask_text("电话 13912345678，护照 E12345678") == "电话 139****5678，护照 E1*****78"
