"""Room spellings and household keys (SPEC §2).

Forms spell one room many ways (``3栋2单元1201室``, ``3-2-1201``, ``三栋二单元1201``, ``３栋…``, ``3棟``);
the archive files a household under one key (``3-2-1201``), so every spelling must reach the same `Room`.

Grammar accepted by `parse_room`, after normalising (full-width → half-width, Traditional → Simplified,
white space removed, letters upper-cased, dashes ``—–－`` read as ``-``)::

    BUILDING ( WORD [SEP] | SEP )  [ UNIT ( 单元 [SEP] | SEP ) ]  ROOM [ 室 | 房间 | 房 | 号 ]

    BUILDING  1–3 digits with an optional letter (3, 12A), 1–2 letters with up to 3 digits (A, B2),
              or a Chinese numeral 一 … 九十九 (两 and 〇/零 allowed where they make sense)
    WORD      栋 座 幢 号楼 #楼 # 号 (# and 号 are kept as 号楼, which is what they abbreviate)
    SEP       - or /
    UNIT      1–2 digits, one letter, or a Chinese numeral
    ROOM      1–6 digits with an optional letter before or after (1201, 0101, B101, 1201A); kept as written

Building and unit numbers lose leading zeros; room numbers keep them (``0101`` is a different room from
``101`` in many rosters). A bare 楼 is refused: ``3楼`` usually means the third floor, not building 3.
Non-residential units (商业街, 车位) are not parsed from free text; they come from the roster through
`room_from_parts` and back from keys through `parse_key`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from hudang.errors import ValueProblem
from hudang.forms.places import PUBLIC_WORDS
from hudang.forms.values import to_simplified
from hudang.patterns import lazy

__all__ = ["Room", "parse_room", "parse_key", "room_from_parts", "import_room", "is_public", "ROOM_FORMATS"]

ROOM_FORMATS = ("楼栋-单元-房号", "楼栋-房号", "单元-房号")
"""How an import profile may say its room cells are written, where guessing would be ambiguous (SPEC §12)."""

_HINT = "应为“3栋2单元1201室”或“3-2-1201”的形式"
_DASHES = str.maketrans(dict.fromkeys("‐‑‒–—―−", "-"))
_CN = "[零〇一二两三四五六七八九十百千]{1,5}"
_SEP = "[-/]"
_BUILDING = rf"\d{{1,3}}[A-Z]?|[A-Z]{{1,2}}\d{{0,3}}|{_CN}"
_UNIT = rf"\d{{1,2}}|[A-Z]|{_CN}"
_NUMBER = r"[A-Z]?\d{1,6}[A-Z]?"
_ROOM_RE = re.compile(
    rf"(?P<b>{_BUILDING})(?:(?P<w>栋|座|幢|号楼|#楼|#|号){_SEP}?|{_SEP})"
    rf"(?:(?P<u>{_UNIT})(?:单元{_SEP}?|{_SEP}))?"
    rf"(?P<r>{_NUMBER})(?:室|房间|房|号)?"
)
_WORDS = {"#": "号楼", "#楼": "号楼", "号": "号楼"}
_PART_RE = re.compile(r"\w+")
_CN_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_LONG_DIGITS = re.compile(r"\d{7,}")


@dataclass(frozen=True)
class Room:
    """One room as the archive knows it; `key` names the household's file."""

    building: str
    unit: str | None
    number: str
    building_word: str | None = None

    def __post_init__(self) -> None:
        # Keys become folder names and `ESTATE/KEY` addresses: no '-', '/', '.' or spaces inside a part.
        parts = [self.building, self.number] + ([] if self.unit is None else [self.unit])
        if not all(_PART_RE.fullmatch(p) for p in parts):
            raise ValueProblem(f"房号的楼栋、单元、房号只能由文字和数字组成：“{'”“'.join(parts)}”",
                               code="bad_room")

    @property
    def key(self) -> str:
        """`3-2-1201`, or `A-1201` without a unit (SPEC §2)."""
        return "-".join(p for p in (self.building, self.unit, self.number) if p is not None)

    def display(self, word: str | None = None) -> str:
        """`3栋2单元1201室`; `word` is the roster's building word when known, else 栋 (SPEC §2)."""
        unit = f"{self.unit}单元" if self.unit is not None else ""
        if not _is_token(self.building, _BUILDING):
            return f"{self.building}{unit}{self.number}"  # 商业街S101: the roster's own text, no words added
        return f"{self.building}{word or '栋'}{unit}{self.number}室"


def parse_room(text: str) -> Room:
    """Read any usual spelling of a residential room; raise `ValueProblem` (code ``bad_room``) otherwise."""
    s = _normalise(text)
    if not s:
        raise ValueProblem(f"房号为空：{_HINT}", code="bad_room")
    m = _ROOM_RE.fullmatch(s)
    if m is None:
        raise ValueProblem(f"无法识别房号“{_quote(text)}”：{_HINT}", code="bad_room")
    building = _number_part(m["b"], text, "楼栋")
    unit = _number_part(m["u"], text, "单元") if m["u"] else None
    word = _WORDS.get(m["w"], m["w"]) if m["w"] else None
    return Room(building, unit, m["r"], word)


def parse_key(key: str) -> Room:
    """Inverse of `Room.key`; also reads roster text kept as is (`商业街-S101`)."""
    parts = _normalise(key).split("-")
    if len(parts) not in (2, 3) or not all(parts):
        raise ValueProblem(f"无法识别户号“{_quote(key)}”：应为“楼栋-单元-房号”或“楼栋-房号”，如“3-2-1201”",
                           code="bad_room")
    building, number = _strip_zeros(parts[0]), parts[-1]
    unit = _strip_zeros(parts[1]) if len(parts) == 3 else None
    return Room(building, unit, number)


def room_from_parts(building: str, unit: str | None, number: str) -> Room:
    """Build a room from a roster row's 楼栋/单元/房号 columns, which may carry words (`3栋`, `2单元`, `1201室`).

    Text that is not a plain building/unit/room token (商业街, 车位) is kept as written (SPEC §2).
    """
    b, u, n = _normalise(building), _normalise(unit or ""), _normalise(number)
    word = None
    m = re.fullmatch(rf"({_BUILDING})(栋|座|幢|号楼|#楼|#|号)?", b)
    if m:
        b, word = _number_part(m[1], building, "楼栋"), _WORDS.get(m[2], m[2]) if m[2] else None
    m = re.fullmatch(rf"({_UNIT})(?:单元)?", u)
    if m:
        u = _number_part(m[1], unit or "", "单元")
    m = re.fullmatch(rf"({_NUMBER})(?:室|房间|房|号)?", n)
    if m:
        n = m[1]
    if not b or not n:
        raise ValueProblem(f"房屋清单的楼栋或房号为空：“{building}”“{number}”", code="bad_room")
    return Room(b, u or None, n, word)


_WORD_RE = "栋|座|幢|号楼|#楼|#|号"
_CATEGORY = lazy(r"^([^\W\d_A-Za-z]+)")


def import_room(building: str, unit: str | None, number: str, room_format: str | None = None) -> tuple[Room, str]:
    """A room from an imported table's cells, however the source system writes it (SPEC §12), and its display.

    Separate 楼栋/单元/房号 cells (a 单元 of 0 means none); the whole room in one cell (`1单元101室` beside a
    `建筑物名称`, `1-1-1001`, `1-0-S01` for a shop); a building cell with words in front (`华泰苑1号楼`: the
    building is what forms write, `1号楼`); a villa without a room number (`1幢`: its own household, key
    `1-幢`); a shop or parking space without a building (`车位A-001`: key `车位-A001`, shown as written).

    ``room_format`` (an import profile's, one of `ROOM_FORMATS`) says how a dashed cell is to be read instead of
    guessing: `楼栋-单元-房号` (exactly three parts, a 单元 of 0 none), `楼栋-房号` (exactly two), or `单元-房号`
    (the 房号 cell beside a 楼栋 column: `3` + `2-1201` is 3栋2单元1201室).
    """
    if room_format:
        building, unit, number = _split_format(building, unit or "", number, room_format)
    b, u, n = _normalise(building), _normalise(unit or ""), _normalise(number)
    if re.fullmatch(r"0+", u):
        u = ""
    if b:
        m = re.search(rf"({_BUILDING})({_WORD_RE})$", b)
        if m and m.start() > 0:      # 华泰苑1号楼 → 1号楼: the words in front are the estate's, not the building's
            b = m[0]
    if b and not u and not n:        # a villa: the building is the household
        m = re.fullmatch(rf"({_BUILDING})({_WORD_RE})?", b)
        if m:
            word = _WORDS.get(m[2], m[2]) if m[2] else "栋"
            return Room(_number_part(m[1], building, "楼栋"), None, word, word), building.strip()
        return Room(_plain(b), None, "整栋"), building.strip()
    if not b and not u:
        m = re.fullmatch(rf"({_BUILDING})-0+-({_NUMBER}|\w+)", n)
        if m:                         # 楼栋-0-商铺
            room = Room(_number_part(m[1], number, "楼栋"), None, m[2])
            return room, room.display()
        try:
            room = parse_room(n)
            return room, room.display(room.building_word)
        except ValueProblem:
            pass
        if not re.search(r"[0-9A-Z]", n):   # 见附件, 空置: words, not a unit anyone can write on a form
            raise ValueProblem(f"无法识别房号“{_quote(number)}”：{_HINT}，或“车位A-001”“商铺S01”", code="bad_room")
        category = _CATEGORY.match(n)   # 车位A-001, 商铺S01: kept as written, filed under its kind of unit
        word = category[1] if category else "其他"
        rest = _plain(n[len(category[1]):] if category else n)
        return Room(word, None, rest or word), number.strip()
    if b and not u and n and re.search("单元", n):   # 1号楼 + 1单元101室
        try:
            joined = f"{b}{n}" if re.search(f"({_WORD_RE})$", b) else f"{b}-{n}"
            room = parse_room(joined)
            return room, room.display(room.building_word)
        except ValueProblem:
            pass
    room = room_from_parts(b, u or None, n)
    return room, room.display(room.building_word)


def _split_format(building: str, unit: str, number: str, room_format: str) -> tuple[str, str, str]:
    """The cells as the profile's room format says they are written."""
    if room_format not in ROOM_FORMATS:
        raise ValueProblem(f"房号格式“{room_format}”未知，应为{'、'.join(ROOM_FORMATS)}之一", code="bad_room")
    n = _normalise(number)
    if room_format == "单元-房号":
        if unit.strip() or "-" not in n:
            return building, unit, number
        parts = n.split("-")
        if len(parts) != 2 or not all(parts):
            raise ValueProblem(f"无法识别房号“{_quote(number)}”：导入方案规定房号写作“单元-房号”，如“2-1201”",
                               code="bad_room")
        return building, parts[0], parts[1]
    if building.strip() or unit.strip():
        return building, unit, number
    parts = n.split("-")
    wanted = room_format.count("-") + 1
    if len(parts) != wanted or not all(parts):
        example = "3-2-1201" if wanted == 3 else "3-1201"
        raise ValueProblem(f"无法识别房号“{_quote(number)}”：导入方案规定房号写作“{room_format}”，如“{example}”",
                           code="bad_room")
    return (parts[0], parts[1], parts[2]) if wanted == 3 else (parts[0], "", parts[1])


def _plain(text: str) -> str:
    return re.sub(r"[\W_]", "", text)


def is_public(text: str, public_words: tuple[str, ...] = PUBLIC_WORDS) -> bool:
    """True when a 房号 names the estate's public file (common areas, visitors) rather than a household."""
    s = _normalise(text)
    return any(s.startswith(_normalise(w)) for w in public_words if w)


def _normalise(text: str) -> str:
    """One spelling for comparison: half-width, Simplified, no spaces, upper-case letters, ASCII dashes."""
    s = unicodedata.normalize("NFKC", text or "")
    s = to_simplified(s).translate(_DASHES)
    return "".join(s.split()).upper()


def _number_part(token: str, text: str, what: str) -> str:
    """Building or unit token as stored: digits without leading zeros, Chinese numerals as digits."""
    if token[0].isascii():
        token = _strip_zeros(token)
    else:
        value = _cn_number(token)
        if value is None:
            raise ValueProblem(f"无法识别房号“{_quote(text)}”：{what}“{token}”不是一至九十九的中文数字", code="bad_room")
        token = str(value)
    if token == "0":
        raise ValueProblem(f"无法识别房号“{_quote(text)}”：{what}不能为0", code="bad_room")
    return token


def _cn_number(s: str) -> int | None:
    """一 … 九十九 → int; None for anything else (百/千, 零/〇 alone, 十十)."""
    if s in ("零", "〇"):
        return 0
    m = re.fullmatch(r"(?:([一二两三四五六七八九])?(十))?([一二两三四五六七八九])?", s)
    if not s or m is None:
        return None
    tens = _CN_DIGITS[m[1]] if m[1] else (1 if m[2] else 0)
    return tens * 10 + (_CN_DIGITS[m[3]] if m[3] else 0)


def _strip_zeros(part: str) -> str:
    return (part.lstrip("0") or "0") if part.isdigit() else part


def _is_token(part: str, pattern: str) -> bool:
    return re.fullmatch(pattern, part) is not None


def _quote(text: str) -> str:
    """The archivist's text for a message, shortened, with long digit runs masked (a phone typed as a room)."""
    text = " ".join(str(text).split())[:40]
    return _LONG_DIGITS.sub(lambda m: m[0][:3] + "*" * (len(m[0]) - 7) + m[0][-4:], text)
